import type { FunctionLocation } from '../../src/core/schema/derive'
import type { FunctionSchema } from '../../src/core/schema/types'
import type { ServedFunction } from '../../src/runtime/server/types'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openApiDocument } from '../../src/core/build/openapi'
import { isUsableSchema } from '../../src/core/schema/contract'
import { deriveSchemas } from '../../src/core/schema/derive'
import { compileValidator } from '../../src/core/schema/validator'
import { analyzeModule } from '../../src/core/transform/analyze'
import { argsFromBody } from '../../src/runtime/server/args'
import { jsonSchema2020 } from '../support/ajv'
import { arbitraryOf, mutate, mutation } from '../support/schema-arbitrary'

// The argument checks held against a validator no one here wrote: for every femto function of
// the fixture apps, generated and mutated request bodies get the same verdict from the
// service's own check (arity, then the compiled validator) as from Ajv (JSON Schema 2020-12)
// on the request schema that openapi.json documents.

const FIXTURES = join(import.meta.dirname, '../fixtures')
const SEED = 20261202
const RUNS_PER_FUNCTION = 600

function sourcesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name.startsWith('dist') ? [] : sourcesOf(path)
    return /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : []
  })
}

interface Located extends FunctionLocation { params: ServedFunction['params'], standard: boolean }

function locate(file: string): Located[] {
  const code = readFileSync(file, 'utf8')
  if (!code.includes('use femto'))
    return []
  let found
  try {
    found = analyzeModule(file, code).functions
  }
  catch {
    return [] // bad-app: a module the build refuses has no service, hence no argument check
  }
  return found.map((fn) => {
    const before = code.slice(0, fn.range.start).split('\n')
    return { name: fn.name, file, line: before.length, column: before.at(-1)!.length, params: fn.params, standard: fn.standardSchema !== undefined }
  })
}

const counts: { app: string, fn: string, accepted: number, refused: number }[] = []
const apps = [
  ...readdirSync(FIXTURES).filter(name => name === 'app' || name.endsWith('-app')).filter(name => statSync(join(FIXTURES, name, 'src'), { throwIfNoEntry: false })?.isDirectory()),
  // The schema derivation's own fixtures: every type form it knows.
  'schema',
// An app whose every module the build refuses (bad-app) has no service and so no check to compare.
].filter(app => sourcesOf(app === 'schema' ? join(FIXTURES, app) : join(FIXTURES, app, 'src')).flatMap(locate).length > 0)
/**
 * The forms documented as not held to their schema (docs/guide/types-and-validation.md): a URL is
 * checked with `URL.canParse` (Ajv's `format: uri` reads it otherwise), a template literal's
 * pattern is documented but not checked (a pattern a caller can make backtrack must not stall a service).
 */
const NOT_HELD: Record<string, string> = { 'schema/builtins': 'URL', 'schema/templates': 'template literal pattern' }

describe.each(apps)('the argument checks of %s agree with Ajv', (app) => {
  const root = join(FIXTURES, app)
  const functions = sourcesOf(app === 'schema' ? root : join(root, 'src')).flatMap(locate)
  const schemas = deriveSchemas({ files: functions.map(fn => fn.file), functions, root })
  const checked = functions.filter(fn => !fn.standard && isUsableSchema(schemas.get(fn.name), fn.params.length) && !NOT_HELD[`${app}/${fn.name}`])
  const document = openApiDocument(checked.map(fn => ({ name: fn.name, route: `/femto/${fn.name}`, stream: false, schema: schemas.get(fn.name)! })), { title: app }) as any
  const ajv = jsonSchema2020()
  // A FormData parameter takes a form body only (uploads.test.ts): openapi.json documents no JSON body to compare.
  const withJson = checked.filter(fn => document.paths[`/femto/${fn.name}`].post.requestBody.content['application/json'])

  it.each(withJson.map(fn => [fn.name, fn] as const))('%s', (_, fn) => {
    const schema = schemas.get(fn.name) as FunctionSchema
    const request = document.paths[`/femto/${fn.name}`].post.requestBody.content['application/json'].schema
    const ajvCheck = ajv.compile({ ...request, components: document.components })
    // eslint-disable-next-line no-new-func
    const validate = new Function(`return ${compileValidator(schema)}`)() as NonNullable<ServedFunction['validate']>
    const served = { name: fn.name, params: fn.params } as ServedFunction
    const ours = (body: unknown): boolean => {
      try {
        return validate(argsFromBody(served, structuredClone(body))) === undefined
      }
      catch {
        return false
      }
    }
    const resolve = (ref: string): any => document.components.schemas[ref.slice('#/components/schemas/'.length)]
    const good = arbitraryOf(request, resolve)
    const bodies = fc.oneof(good, fc.tuple(good, mutation).map(([body, m]) => mutate(body, m)), fc.tuple(good, mutation, mutation).map(([body, a, b]) => mutate(mutate(body, a), b)))
    // What a plain client can send is what JSON.parse gives: no undefined, no -0, own `__proto__` keys.
    const json = bodies.map(body => JSON.parse(JSON.stringify(body)))
    let accepted = 0
    let refused = 0
    fc.assert(fc.property(json, (body) => {
      const verdict = ajvCheck(body)
      expect({ body, ours: ours(body) }).toEqual({ body, ours: verdict })
      verdict ? accepted++ : refused++
    }), { seed: SEED, numRuns: RUNS_PER_FUNCTION })
    counts.push({ app, fn: fn.name, accepted, refused })
    expect(accepted + refused).toBe(RUNS_PER_FUNCTION)
  })
})

describe('the counts', () => {
  it('covered every function with generated arguments, good and bad', () => {
    const total = counts.reduce((sum, c) => sum + c.accepted + c.refused, 0)
    const accepted = counts.reduce((sum, c) => sum + c.accepted, 0)
    console.log(`[ajv-agreement] ${counts.length} functions, ${total} bodies: ${accepted} accepted and ${total - accepted} refused by both`)
    expect(counts.length).toBeGreaterThan(20)
    expect(accepted).toBeGreaterThan(1000)
    expect(total - accepted).toBeGreaterThan(1000)
  })
})
