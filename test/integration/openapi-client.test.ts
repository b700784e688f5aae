import type { RunningProcess } from '../helpers'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import createClient from 'openapi-fetch'
import openapiTS, { astToString } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNode, viteBuild } from '../helpers'
import { jsonSchema2020 } from '../support/ajv'
import { exampleOf } from '../support/schema-arbitrary'

// A client no one here wrote, as a new user would make one: types generated from each fixture
// app's openapi.json by openapi-typescript, calls made with openapi-fetch (plain JSON, no femto
// stub), every function called once, and every answer held against the schema openapi.json
// gives it, by Ajv (JSON Schema 2020-12): the result's for a 200, FemtoErrorBody's otherwise.

const FIXTURES = join(import.meta.dirname, '../fixtures')
const APPS = ['plain-json-app', 'app', 'wire-app', 'contracts-app']
/** Arguments a generated example would not make sensible (a counter read, a wait that should not wait). */
const ARGUMENTS: Record<string, unknown[]> = { waitForAbort: [-1], ticks: [2, 0], unitsOf: ['finite'] }

interface Built { app: string, document: any, types: string, service: RunningProcess }

const built = new Map<string, Built>()
const temp = mkdtempSync(join(tmpdir(), 'femto-openapi-client-'))

beforeAll(async () => {
  for (const app of APPS) {
    const dist = await viteBuild(join(FIXTURES, app), 'dist-openapi', { mode: 'monolith' })
    const document = JSON.parse(readFileSync(join(dist, 'servers/openapi.json'), 'utf8'))
    // openapi-typescript's Node API, as its docs show it; the .d.ts goes where a user would keep it.
    const types = astToString(await openapiTS(document))
    writeFileSync(join(temp, `${app}.d.ts`), types)
    const service = await startNode(join(dist, 'servers/monolith.js'))
    built.set(app, { app, document, types, service })
  }
}, 240_000)

afterAll(async () => {
  await Promise.all(Array.from(built.values(), b => b.service.stop('SIGKILL')))
  rmSync(temp, { recursive: true, force: true })
})

const ajv = jsonSchema2020()
const tally = { calls: 0, ok: 0, values: 0, failed: [] as string[] }

describe.each(APPS)('%s through a client generated from its openapi.json', (app) => {
  it('answers every function with what openapi.json documents', async () => {
    const { document, service } = built.get(app)!
    const client = createClient<any>({ baseUrl: service.url })
    const resolve = (ref: string): any => document.components.schemas[ref.slice('#/components/schemas/'.length)]
    const routes = Object.keys(document.paths)
    expect(routes.length).toBeGreaterThan(0)
    for (const route of routes) {
      const operation = document.paths[route].post
      const name = operation.operationId as string
      const request = operation.requestBody.content['application/json'].schema
      const body = ARGUMENTS[name] ?? exampleOf(request.oneOf[1], resolve)
      const stream = 'application/x-ndjson' in operation.responses[200].content
      const { response, data, error } = await client.POST(route, { body, parseAs: stream ? 'text' : 'json' } as any)
      tally.calls++
      const answers = stream && response.ok ? String(data).split('\n').filter(Boolean).map(line => JSON.parse(line)) : [response.ok ? data : error]
      // A stream's last line may be the error its generator threw.
      const failed = (value: any): boolean => !response.ok || (stream && value !== null && typeof value === 'object' && 'error' in value)
      for (const value of answers) {
        const schema = failed(value) ? { $ref: '#/components/schemas/FemtoErrorBody' } : operation.responses[200].content[stream ? 'application/x-ndjson' : 'application/json'].schema
        const check = ajv.compile({ ...schema, components: document.components })
        expect({ name, status: response.status, value, valid: check(value), errors: check.errors }).toMatchObject({ name, valid: true })
        tally.values++
      }
      if (response.ok)
        tally.ok++
      else
        tally.failed.push(`${name} ${response.status} ${error?.error?.code}`)
    }
  })
})

describe('the forms a generated client sees', () => {
  const call = async (name: string, body: unknown): Promise<{ status: number, data: any, error: any }> => {
    const { service } = built.get('plain-json-app')!
    const { response, data, error } = await createClient<any>({ baseUrl: service.url }).POST(`/femto/${name}`, { body })
    return { status: response.status, data, error }
  }

  it('gets a Set as an array, a Map as entries, a bigint as digits, a Date as its ISO string', async () => {
    const { status, data } = await call('collections', [])
    expect(status).toBe(200)
    expect(data).toEqual({
      tags: ['gift', 'fragile'],
      prices: [['mug', '12'], ['tee', '20']],
      at: '2026-11-22T10:00:00.000Z',
      link: 'https://shop.example/basket/1',
      total: '12345678901234567890',
      list: [1, null, 3],
      negativeZero: 0,
    })
  })

  it('gets an honest error for a number JSON cannot hold', async () => {
    for (const kind of ['nan', 'infinite']) {
      const { status, error } = await call('unitsOf', [kind])
      expect(status).toBe(406)
      expect(error.error.code).toBe('NOT_ACCEPTABLE')
      expect(error.error.message).toMatch(/the value at 'units' is (NaN|Infinity), which JSON cannot hold/)
    }
    expect((await call('unitsOf', ['finite'])).data).toEqual({ units: 7 })
  })

  it('gets null for undefined and leaves out what may be absent', async () => {
    expect((await call('nothing', [])).data).toBeNull()
    expect((await call('optionalParts', [false])).data).toEqual({ when: null })
    expect((await call('optionalParts', [true])).data).toEqual({ note: 'hi', when: '1970-01-01T00:00:00.000Z', ids: [1, 2] })
  })
})

describe('the generated types', () => {
  it('types them so in the generated .d.ts, which a typed openapi-fetch client compiles against', () => {
    const { types } = built.get('plain-json-app')!
    expect(types).toMatch(/tags: string\[\];/)
    expect(types).toMatch(/prices: \[\s*string,\s*string \| number\s*\]\[\];/)
    // A user's client module: it reads the answer as the generated types say it is.
    const folder = join(FIXTURES, 'plain-json-app/dist-openapi/client')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'schema.d.ts'), types)
    writeFileSync(join(folder, 'client.ts'), `import type { paths } from './schema'
import createClient from 'openapi-fetch'
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1' })
export async function tags(): Promise<string[]> {
  const { data } = await client.POST('/femto/collections', { body: [] })
  return [...data!.tags, ...data!.prices.map(([sku]) => String(sku)), data!.at]
}
export async function order(): Promise<number> {
  const { data } = await client.POST('/femto/plainOrder', { body: { sku: 'mug', qty: 2 } })
  return data!.lines.length
}
`)
    const program = ts.createProgram([join(folder, 'client.ts')], { strict: true, noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022, skipLibCheck: true })
    const problems = ts.getPreEmitDiagnostics(program).map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(problems).toEqual([])
  })
})

describe('the counts', () => {
  it('called every function of every app and checked every answer', () => {
    console.log(`[openapi-client] ${APPS.length} apps, ${tally.calls} functions called: ${tally.ok} answered 200, ${tally.failed.length} an error (${tally.failed.join(', ')}); ${tally.values} answers valid against openapi.json`)
    expect(tally.calls).toBeGreaterThan(40)
    expect(tally.ok).toBeGreaterThan(tally.failed.length)
  })
})
