import type { Server } from 'node:http'
import type { Browser } from 'playwright-core'
import type { Manifest } from '../../src/core/build/manifest'
import type { Answer, RunningProcess } from '../helpers'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import SwaggerParser from '@apidevtools/swagger-parser'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callFemto, configureFemto } from '../../src/runtime'
import { createGateway } from '../../src/up/gateway'
import { launchChromium, post, readTree, startNode, viteBuild } from '../helpers'

// Types become contracts: arguments are checked against the schema derived from the TypeScript
// signature (or a declared Standard Schema) before the function runs, and the same schemas make
// openapi.json and the /docs page.

const APP = join(import.meta.dirname, '../fixtures/contracts-app')
const TYPED = ['placeOrder', 'schedule', 'tally', 'depth', 'pair', 'lookup', 'callCount']

let dist: string
let manifest: Manifest
let typed: RunningProcess
const running: RunningProcess[] = []

async function start(name: string): Promise<RunningProcess> {
  const proc = await startNode(join(dist, 'servers', `${name}.js`))
  running.push(proc)
  return proc
}

const call = (name: string, args: unknown): Promise<Answer> => post(`${typed.url}/femto/${name}`, args)
const callCount = async (): Promise<number> => (await call('callCount', [])).body

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist', { groups: { typed: TYPED } })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  typed = await start('typed')
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('arguments checked against the types', () => {
  const GOOD: [string, unknown, unknown][] = [
    ['placeOrder', { order: { lines: [{ sku: 'mug', qty: 2 }, { sku: 'tee', qty: 1 }], shipping: 'express' } }, { total: 3, note: null, secret: 21 }],
    ['placeOrder', [{ lines: [], shipping: 'standard', coupon: 'X' }, 'leave at door'], { total: 0, note: 'leave at door', secret: 21 }],
    ['schedule', ['2026-01-02T03:04:05.000Z', ['b', 'a'], '41', 2], { iso: '2026-01-02T03:04:05.000Z', isDate: true, tags: ['a', 'b'], budget: '42', priority: 2 }],
    ['tally', ['x', 1, 2, 3], 'x:6'],
    ['tally', { label: 'y', counts: [4, 5] }, 'y:9'],
    ['depth', [{ label: 'a', children: [{ label: 'b', children: [{ label: 'c', children: [] }] }] }], 3],
    ['pair', [[2, 3]], [2, 3]],
    ['pair', [[2, 3], 10], [20, 30]],
    ['lookup', [{ a: 1, b: 2 }, 'b'], 2],
  ]

  it.each(GOOD)('%s accepts good arguments %j', async (name, args, result) => {
    const answer = await call(name, args)
    expect(answer.status, answer.text).toBe(200)
    expect(answer.body).toEqual(result)
  })

  const BAD: [string, unknown, string][] = [
    ['placeOrder', [{ lines: [{ sku: 'mug', qty: '2' }], shipping: 'standard' }], '$.order.lines[0].qty: expected number'],
    ['placeOrder', [{ lines: [{ sku: 'mug' }], shipping: 'standard' }], '$.order.lines[0].qty: required'],
    ['placeOrder', [{ lines: [], shipping: 'standard', discount: 5 }], '$.order.discount: unexpected property'],
    ['placeOrder', [{ lines: [], shipping: 'drone' }], '$.order.shipping: expected "standard" | "express"'],
    ['placeOrder', [{ lines: {}, shipping: 'standard' }], '$.order.lines: expected array'],
    ['placeOrder', [null], '$.order: expected object'],
    ['placeOrder', [{ lines: [], shipping: 'standard' }, 42], '$.note: expected string'],
    ['schedule', ['yesterday', [], '1', 1], '$.at: expected Date'],
    ['schedule', ['2026-01-02T03:04:05.000Z', 'a', '1', 1], '$.tags: expected Set'],
    ['schedule', ['2026-01-02T03:04:05.000Z', [], '1.5', 1], '$.budget: expected bigint'],
    ['schedule', ['2026-01-02T03:04:05.000Z', [], '1', 3], '$.priority: expected 1 | 2'],
    ['tally', ['x', 1, 'two'], '$.counts[1]: expected number'],
    ['depth', [{ label: 'a', children: [{ label: 'b', children: [{ label: 3, children: [] }] }] }], '$.tree.children[0].children[0].label: expected string'],
    ['pair', [[1]], '$.point: expected at least 2 items'],
    ['pair', [[1, 2, 3]], '$.point: expected at most 2 items'],
    ['pair', [[1, 2], 'big'], '$.scale: expected number | null'],
    ['lookup', [{ a: 'one' }, 'a'], '$.table.a: expected number'],
  ]

  it.each(BAD)('%s refuses %j with 400 and the path of the first bad field', async (name, args, message) => {
    const before = await callCount()
    const answer = await call(name, args)
    expect(answer.status, answer.text).toBe(400)
    expect(answer.body.error).toEqual({ code: 'INVALID_ARGUMENT', message })
    // The function never ran.
    expect(await callCount()).toBe(before)
  })

  it('takes the rich values of a stub as they are', async () => {
    configureFemto({ baseUrl: typed.url })
    const meta = (name: string): { name: string, route: string } => ({ name, route: `/femto/${name}` })
    const result = await callFemto(meta('schedule'), [new Date(86_400_000), new Set(['z']), 9n, 1]) as any
    expect(result).toEqual({ iso: '1970-01-02T00:00:00.000Z', isDate: true, tags: ['z'], budget: '10', priority: 1 })
    await expect(callFemto(meta('schedule'), [new Date(Number.NaN), new Set(), 1n, 1]) as Promise<unknown>).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', status: 400, message: '$.at: expected Date' })
  })

  it('gives the browser stubs the contracts their services have, also for a function outside include', async () => {
    const client = [...readTree(join(dist, 'client')).values()].join('\n')
    for (const name of ['placeOrder', 'schedule', 'rename', 'weigh']) {
      const stub = new RegExp(`name:\`${name}\`,route:\`/femto/${name}\`,contract:\`(\\w+)\``).exec(client)
      expect(stub?.[1], name).toBe(manifest.functions.find(f => f.name === name)!.contract)
    }
    const weigh = await start('weigh')
    const answer = await post(`${weigh.url}/femto/weigh`, [{ weight: 'heavy' }], { 'content-type': 'application/json', 'x-femto-contract': manifest.functions.find(f => f.name === 'weigh')!.contract })
    expect(answer.body.error).toEqual({ code: 'INVALID_ARGUMENT', message: '$.parcel.weight: expected number' })
  })

  it('makes the contract from the schema: a stub built against other types gets 409', async () => {
    const placeOrder = manifest.functions.find(f => f.name === 'placeOrder')!
    expect(placeOrder.contract).toMatch(/^[0-9a-f]{8}$/)
    const stale = await post(`${typed.url}/femto/placeOrder`, [{ lines: [], shipping: 'standard' }], { 'content-type': 'application/json', 'x-femto-contract': '00000000' })
    expect(stale.status).toBe(409)
  })
})

describe('standard schema validators', () => {
  let standard: { signup: RunningProcess, rename: RunningProcess }
  beforeAll(async () => {
    standard = { signup: await start('signup'), rename: await start('rename') }
  })

  it('zod: good arguments pass, bad ones get 400 with zod\'s message and path', async () => {
    expect((await post(`${standard.signup.url}/femto/signup`, ['ada@example.com', 36])).body).toBe('ada@example.com (36)')
    const young = await post(`${standard.signup.url}/femto/signup`, { email: 'ada@example.com', age: 12 })
    expect(young.status).toBe(400)
    expect(young.body.error.code).toBe('INVALID_ARGUMENT')
    expect(young.body.error.message).toMatch(/^\$\.age: .*18/)
    const email = await post(`${standard.signup.url}/femto/signup`, ['not-an-email', 36])
    expect(email.body.error.message).toMatch(/^\$\.email: /)
  })

  it('valibot: its output (trimmed) is what the function gets', async () => {
    expect((await post(`${standard.rename.url}/femto/rename`, ['  ada  '])).body).toBe('[ada]')
    const short = await post(`${standard.rename.url}/femto/rename`, [' a '])
    expect(short.status).toBe(400)
    expect(short.body.error).toEqual({ code: 'INVALID_ARGUMENT', message: '$.name: at least 2 characters' })
  })

  it('a validator that never settles is ended by the function\'s timeout', async () => {
    const stuck = await start('stuck')
    const answer = await post(`${stuck.url}/femto/stuck`, [1])
    expect(answer.status).toBe(504)
    expect(answer.body.error).toEqual({ code: 'TIMEOUT', message: 'the argument validator of stuck ran past its timeout of 300 ms' })
    expect((await fetch(`${stuck.url}/healthz`)).status).toBe(200)
  })

  it('keeps the validator libraries and function bodies out of the browser when nothing there uses them', () => {
    const client = [...readTree(join(dist, 'client')).values()].join('\n')
    for (const secret of ['contracts-secret-41aa', 'calls++', 'reduce((sum', 'ZodString', 'signupArgs', 'renameArgs', 'minLength', 'at least 2 characters'])
      expect(client, secret).not.toContain(secret)
  })
})

describe('openapi.json', () => {
  it('describes every function and passes an OpenAPI 3.1 validator', async () => {
    const document = JSON.parse(readFileSync(join(dist, 'servers/openapi.json'), 'utf8'))
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths).sort()).toEqual(manifest.functions.map(f => f.route).sort())
    const placeOrder = document.paths['/femto/placeOrder'].post
    expect(placeOrder.operationId).toBe('placeOrder')
    expect(placeOrder.summary).toBe('Prices an order.')
    expect(placeOrder.requestBody.content['application/json'].schema.oneOf[0].properties.order).toEqual({ $ref: '#/components/schemas/Order', description: 'what to buy' })
    expect(document.components.schemas.Line.properties.sku.description).toBe('Stock keeping unit.')
    expect(document.components.schemas.Tree.properties.children.items).toEqual({ $ref: '#/components/schemas/Tree' })
    expect(placeOrder.responses['400']).toEqual({ $ref: '#/components/responses/BadRequest' })
    const positional = (name: string): any => document.paths[`/femto/${name}`].post.requestBody.content['application/json'].schema.oneOf[1]
    expect(positional('coords')).toEqual({ title: 'positional arguments', type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }], items: false, minItems: 2 })
    expect(positional('scaleBy')).toMatchObject({ minItems: 2 })
    expect(positional('tally')).toMatchObject({ prefixItems: [{ type: 'string' }], items: { type: 'number' }, minItems: 1 })
    expect(Object.keys(document.paths['/femto/countdown'].post.responses['200'].content)).toEqual(['application/x-ndjson'])
    await SwaggerParser.validate(structuredClone(document))
  })

  it('is served by each service for its own functions', async () => {
    const own = await (await fetch(`${typed.url}/openapi.json`)).json()
    expect(Object.keys(own.paths).sort()).toEqual(TYPED.map(n => `/femto/${n}`).sort())
    await SwaggerParser.validate(own)
  })
})

describe('the docs page', () => {
  let server: Server
  let browser: Browser
  let origin: string

  beforeAll(async () => {
    const router = (await import(pathToFileURL(join(dist, 'servers/router.js')).href)).default
    const app = express()
    app.use('/api', router)
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
    })
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    server?.close()
  })

  it('serves the document with the router\'s mount path as its server', async () => {
    const document = await (await fetch(`${origin}/api/openapi.json`)).json()
    expect(document.servers).toEqual([{ url: '/api' }])
    expect((await fetch(`${origin}/api/docs/swagger-ui-bundle.js`)).headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(`${origin}/api/docs/package.json`)).status).toBe(404)
    const slash = await fetch(`${origin}/api/docs/`, { redirect: 'manual' })
    expect([slash.status, slash.headers.get('location')]).toEqual([301, '/api/docs'])
  })

  it('is served by the femto up gateway too, which leaves the app\'s other /docs/ paths alone', async () => {
    const gateway = createGateway({ staticDir: join(dist, 'client'), hidden: [], basePath: '/femto', routes: new Map(), docsDir: join(dist, 'servers') })
    await new Promise<void>(resolve => gateway.listen(0, '127.0.0.1', resolve))
    try {
      const at = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`
      expect(await (await fetch(`${at}/docs`)).text()).toContain('SwaggerUIBundle')
      expect((await fetch(`${at}/docs/swagger-ui.css`)).headers.get('content-type')).toMatch(/text\/css/)
      expect((await (await fetch(`${at}/openapi.json`)).json()).openapi).toBe('3.1.0')
      // Not a docs file: the app's static files (here the SPA fallback), not a 404 from the docs.
      expect(await (await fetch(`${at}/docs/guide`)).text()).toContain('<title>contracts</title>')
    }
    finally {
      gateway.close()
    }
  })

  it('lists the functions in Chromium, and a "try it" call returns the function\'s result', async () => {
    const page = await browser.newPage()
    await page.goto(`${origin}/api/docs`)
    await page.waitForSelector('.opblock-summary-path')
    const paths = await page.$$eval('.opblock-summary-path', nodes => nodes.map(n => n.textContent?.trim()))
    expect(paths.sort()).toEqual(manifest.functions.map(f => f.route).sort())

    const operation = page.locator('#operations-default-tally')
    await operation.locator('.opblock-summary').click()
    // The page opens operations ready to try (tryItOutEnabled), so no "Try it out" click.
    await operation.locator('textarea.body-param__text').fill('["docs", 20, 22]')
    await operation.locator('.execute').click()
    const body = operation.locator('.live-responses-table .response-col_description pre.microlight')
    await body.first().waitFor()
    expect((await body.first().textContent())?.trim()).toBe('"docs:42"')
    await page.close()
  })
})
