import type { Browser } from 'playwright-core'
import type { Manifest } from '../../src/core/build/manifest'
import type { StubMeta } from '../../src/runtime'
import type { Running } from '../../src/up/up'
import type { RunningProcess } from '../helpers'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callFemto, configureFemto, FemtoError, withOptions } from '../../src/runtime'
import { RICH_TYPE } from '../../src/runtime/shared/codec'
import { up } from '../../src/up/up'
import { callsInFlight, launchChromium, post, startNode, viteBuild } from '../helpers'

const APP = join(import.meta.dirname, '../fixtures/wire-app')

let dist: string
let manifest: Manifest
let running: Running
const processes: RunningProcess[] = []

/** A Node stub exactly as the plugin generates it: the manifest's facts, the runtime's helper. */
function stub(name: string, overrides: Partial<StubMeta> = {}): (...args: unknown[]) => any {
  const fn = manifest.functions.find(f => f.name === name)!
  const meta: StubMeta = { name, route: fn.route, contract: fn.contract, ...(fn.stream ? { stream: true } : {}), ...overrides }
  return (...args: unknown[]) => callFemto(meta, args)
}

async function streamStats(): Promise<any> {
  const iterator = (stub('ticks')(-1) as AsyncIterable<unknown>)[Symbol.asyncIterator]()
  return (await iterator.next()).value
}
const abortStats = (): Promise<any> => stub('waitForAbort')(-1)

/** The first value read that meets `until` (a service's counters, once the effect of a call shows). */
async function poll<T>(read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
  let value!: T
  await expect.poll(async () => until(value = await read()), { timeout: 5_000 }).toBe(true)
  return value
}

/** The services' token, so that the test can read their /metrics. */
const TOKEN = 'wire-test-token'
/** Calls of a function running now in its service under femto up. */
function inFlight(name: string): Promise<number> {
  const service = manifest.functions.find(f => f.name === name)!.service
  return callsInFlight(`http://127.0.0.1:${running.ports.get(service)}`, name, { authorization: `Bearer ${TOKEN}` })
}

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist', { functions: { waitForAbort: { timeoutMs: 1500 } } })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  // femto up gives the services and the gateway FEMTO_TOKEN of its environment, when set.
  const token = process.env.FEMTO_TOKEN
  process.env.FEMTO_TOKEN = TOKEN
  try {
    running = await up({ outDir: dist, port: 0, freePorts: true, out: new PassThrough().resume() })
  }
  finally {
    if (token === undefined)
      delete process.env.FEMTO_TOKEN
    else
      process.env.FEMTO_TOKEN = token
  }
  configureFemto({ baseUrl: running.url })
})

afterAll(async () => {
  await running?.close()
  await Promise.all(processes.map(p => p.stop('SIGKILL')))
})

/**
 * Every type of SPEC §4 through `echo` and back, compared on arrival. Self-contained, so that
 * Playwright can run the very same function in the page (where `echo` is the real browser stub).
 */
async function roundTripTable(echoArg?: ((value: unknown) => Promise<unknown>) | void): Promise<{ name: string, ok: boolean, detail: string }[]> {
  const echo = echoArg ?? (globalThis as any).femto.echo
  const same = (a: any, b: any, seen = new Map<any, any>()): boolean => {
    if (Object.is(a, b))
      return true
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
      return false
    if (seen.has(a))
      return seen.get(a) === b
    seen.set(a, b)
    if (Object.getPrototypeOf(a)?.constructor?.name !== Object.getPrototypeOf(b)?.constructor?.name)
      return false
    if (a instanceof Date)
      return a.getTime() === b.getTime()
    if (a instanceof RegExp)
      return a.source === b.source && a.flags === b.flags
    if (a instanceof URL)
      return a.href === b.href
    if (a instanceof Error)
      return a.name === b.name && a.message === b.message && same({ ...a }, { ...b }, seen)
    if (a instanceof ArrayBuffer)
      return same(new Uint8Array(a), new Uint8Array(b), seen)
    if (ArrayBuffer.isView(a))
      return (a as any).length === (b as any).length && Array.from(a as any).every((v, i) => Object.is(v, (b as any)[i]))
    if (a instanceof Map)
      return a.size === b.size && [...a].every(([k, v], i) => same(k, [...b][i][0], seen) && same(v, [...b][i][1], seen))
    if (a instanceof Set)
      return a.size === b.size && [...a].every((v, i) => same(v, [...b][i], seen))
    const keys = Object.keys(a)
    return keys.length === Object.keys(b).length && keys.every(k => Object.hasOwn(b, k) && same(a[k], b[k], seen))
  }
  const shared = { n: 1 }
  const cyclic: any = { name: 'loop' }
  cyclic.self = cyclic
  const stockError = Object.assign(new Error('no stock'), { sku: 'x-1' })
  stockError.name = 'StockError'
  const cases: [string, unknown, ((back: any) => boolean)?][] = [
    ['Date', new Date('2026-11-22T10:00:00.123Z')],
    ['Map', new Map<unknown, unknown>([['a', 1], [{ k: 1 }, new Set([2])]])],
    ['Set', new Set([1, 'two', 3n])],
    ['BigInt', 123456789012345678901234567890n],
    ['undefined', undefined],
    ['undefined in an array', [1, undefined, 3], back => back.length === 3 && 1 in back],
    ['undefined as a property', { a: undefined }, back => Object.hasOwn(back, 'a')],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['RegExp', /fem+to/giu],
    ['Uint8Array', new Uint8Array([0, 127, 255])],
    ['Float64Array', new Float64Array([1.5, -0, Number.NaN])],
    ['ArrayBuffer', new Uint8Array([9, 8, 7]).buffer],
    ['URL', new URL('https://example.com/a?b=1#c')],
    ['nested objects', { a: [{ b: { c: [1, { d: 'e' }] } }] }],
    ['repeated references', { left: shared, right: shared }, back => back.left === back.right],
    ['cycle', cyclic, back => back.self === back],
    ['Error', new Error('plain')],
    ['TypeError', new TypeError('bad type'), back => back instanceof TypeError],
    ['Error subclass by name, with props', stockError, back => back instanceof Error && back.name === 'StockError' && (back as any).sku === 'x-1'],
  ]
  const report = []
  for (const [name, value, extra] of cases) {
    try {
      const back = await echo(value)
      const ok = same(value, back) && (!extra || extra(back))
      report.push({ name, ok, detail: ok ? '' : String(back) })
    }
    catch (error) {
      report.push({ name, ok: false, detail: `threw ${(error as Error).message}` })
    }
  }
  return report
}

describe('rich encoding through a real service', () => {
  it('round-trips every type from Node', async () => {
    const report = await roundTripTable(stub('echo'))
    expect(report.filter(r => !r.ok)).toEqual([])
    expect(report).toHaveLength(22)
  })

  it('decodes every type as an argument on the service side', async () => {
    const describeOnServer = stub('describe')
    expect(await describeOnServer(new Date(0))).toMatchObject({ kind: 'Date' })
    expect(await describeOnServer(new Map())).toMatchObject({ kind: 'Map' })
    expect(await describeOnServer(new Set())).toMatchObject({ kind: 'Set' })
    expect(await describeOnServer(1n)).toMatchObject({ kind: 'BigInt' })
    expect(await describeOnServer(/x/)).toMatchObject({ kind: 'RegExp' })
    expect(await describeOnServer(new Uint16Array(2))).toMatchObject({ kind: 'Uint16Array' })
    expect(await describeOnServer(-0)).toMatchObject({ kind: 'Number', isNegativeZero: true })
    expect(await describeOnServer(Number.NaN)).toMatchObject({ isNaN: true })
    expect(await describeOnServer(undefined)).toMatchObject({ kind: 'Undefined', absentIsUndefined: true })
    expect(await describeOnServer(1, undefined)).toMatchObject({ absentIsUndefined: true })
  })

  it('gives plain JSON clients the documented JSON, never the rich encoding', async () => {
    // NaN has no JSON form: an honest 406 rather than a null that openapi.json does not allow
    // (the forms of Map, Set, bigint… are held against openapi.json in openapi-client.test.ts).
    const plain = await post(`${running.url}/femto/samples`, [])
    expect(plain.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(plain.status).toBe(406)
    expect(plain.body.error).toMatchObject({ code: 'NOT_ACCEPTABLE', message: expect.stringMatching(/^the result has no JSON form: the value at 'nan' is NaN, which JSON cannot hold/) })
    // The stub, asking for the rich encoding, gets the values themselves.
    const rich = await stub('samples')()
    expect(rich.map).toEqual(new Map([['a', 1]]))
    expect(rich.big).toBe(12345678901234567890n)
    expect(Object.hasOwn(rich, 'missing')).toBe(true)
    expect(Object.is(rich.negativeZero, -0)).toBe(true)
    // A JSON client that asks for it by Accept gets the rich encoding.
    const asked = await post(`${running.url}/femto/samples`, [], { 'content-type': 'application/json', 'accept': RICH_TYPE })
    expect(asked.headers.get('content-type')).toBe(RICH_TYPE)
  })

  it('answers malformed or hostile rich payloads with 400 and keeps serving', async () => {
    const url = `${running.url}/femto/echo`
    const deep = JSON.stringify(Array.from({ length: 100_000 }, (_, i) => (i < 99_999 ? [i + 1] : 0)))
    const bodies: [string, string][] = [
      ['truncated', '[[1,2'],
      ['not the format', '"just a string"'],
      ['unknown type tag', '[[1],["Nope",2],3]'],
      ['__proto__ key', '[[1],{"__proto__":2},3]'],
      ['deep nesting', deep],
      ['a reference out of range', '[[1],[99]]'],
    ]
    for (const [what, body] of bodies) {
      const res = await post(url, body, { 'content-type': RICH_TYPE })
      expect({ what, status: res.status }).toEqual({ what, status: 400 })
      expect(res.body.error.code, what).toBe('INVALID_ENCODING')
      expect((await fetch(`${running.ports.size && running.url}/healthz`)).status).toBe(200)
      expect(await stub('echo')(what), what).toBe(what)
    }
    expect(({} as any).polluted).toBeUndefined()
  })
})

describe('streaming from async generators', () => {
  it('delivers each value as it is yielded, before the generator finishes', async () => {
    const arrivals: { i: number, at: number, received: number }[] = []
    for await (const tick of stub('ticks')(4, 150) as AsyncIterable<{ i: number, at: number }>)
      arrivals.push({ ...tick, received: Date.now() })
    expect(arrivals.map(a => a.i)).toEqual([0, 1, 2, 3])
    // The first value was in the caller's hands before the service had even made the last one.
    expect(arrivals[0]!.received).toBeLessThan(arrivals[3]!.at)
  })

  it('stops the generator on the service when the caller breaks out of the loop', async () => {
    const before = await streamStats()
    let seen = 0
    for await (const tick of stub('ticks')(1000, 20) as AsyncIterable<{ i: number }>) {
      seen++
      if (tick.i === 2)
        break
    }
    expect(seen).toBe(3)
    const after = await poll(streamStats, s => s.stopped > before.stopped)
    expect(after.stopped).toBe(before.stopped + 1)
    expect(after.completed).toBe(before.completed)
    // Stopped early: far fewer than the 1000 values it would have made.
    expect(after.yielded - before.yielded).toBeLessThan(50)
  })

  it('throws a FemtoError in the caller when the generator fails mid-stream', async () => {
    const values: unknown[] = []
    let caught: any
    try {
      for await (const value of stub('failing')() as AsyncIterable<unknown>)
        values.push(value)
    }
    catch (error) {
      caught = error
    }
    expect(values).toEqual([1])
    expect(caught).toBeInstanceOf(FemtoError)
    expect(caught).toMatchObject({ code: 'SOURCE_GONE', message: 'the source dried up', data: { after: 1 } })
  })

  it('gives a generator its request context, inside its body', async () => {
    const ids: unknown[] = []
    for await (const id of stub('contextStream')() as AsyncIterable<unknown>)
      ids.push(id)
    expect(ids).toHaveLength(1)
    expect(ids[0]).toMatch(/^[0-9a-z]+-[0-9a-z]+$/)
  })

  it('gives plain JSON clients NDJSON, one value per line', async () => {
    const res = await post(`${running.url}/femto/ticks`, [3, 5])
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    expect(res.text.trim().split('\n').map(line => JSON.parse(line).i)).toEqual([0, 1, 2])
  })
})

describe('errors', () => {
  it('keeps an expected error (one with a code) whole, with its name, code and props', async () => {
    const caught = await stub('expected')().catch((e: unknown) => e)
    expect(caught).toBeInstanceOf(FemtoError)
    expect(caught).toMatchObject({ status: 500, code: 'BAD_QUANTITY', name: 'RangeError', message: 'quantity must be positive', data: { limit: 1 }, limit: 1 })
  })

  it('keeps an error marked expose: true whole, though it has no code', async () => {
    const caught = await stub('exposed')().catch((e: unknown) => e)
    expect(caught).toMatchObject({ code: 'INTERNAL_ERROR', message: 'the basket is empty' })
  })

  it('treats a Node system error (code, syscall, path) as a bug: no path reaches the caller', async () => {
    const caught = await stub('systemError')().catch((e: unknown) => e) as FemtoError
    expect(caught.code).toBe('INTERNAL_ERROR')
    expect(JSON.stringify({ ...caught, message: caught.message })).not.toContain('/srv/secret')
  })

  it('shows a bug only as a generic message with the request id, unless in development', async () => {
    const caught = await stub('bug')().catch((e: unknown) => e) as FemtoError
    expect(caught.code).toBe('INTERNAL_ERROR')
    expect(caught.message).toBe(`the function failed; the service log has the details (request ${caught.requestId})`)
    expect(caught.message).not.toContain('property')
    const dev = await startNode(join(dist, 'servers/bug.js'), { env: { NODE_ENV: 'development' } })
    processes.push(dev)
    const detailed = await post(`${dev.url}/femto/bug`, [])
    expect(detailed.body.error).toMatchObject({ code: 'INTERNAL_ERROR', name: 'TypeError' })
    expect(detailed.body.error.message).toContain('property')
    expect(detailed.body.error.stack).toContain('TypeError')
  })
})

describe('per-call options and cancellation', () => {
  it('aborting through withOptions cancels the call, and the function sees its request aborted', async () => {
    const before = await abortStats()
    const controller = new AbortController()
    const call = withOptions(stub('waitForAbort'), { signal: controller.signal })(10_000)
    call.catch(() => {})
    // Aborted once the function is running.
    await expect.poll(() => inFlight('waitForAbort')).toBe(1)
    controller.abort()
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' })
    const after = await poll(abortStats, s => s.aborted > before.aborted)
    expect(after.aborted).toBe(before.aborted + 1)
  })

  it('sends the headers of withOptions with that call', async () => {
    const caught = await withOptions(stub('expected'), { headers: { 'x-request-id': 'from-the-caller-1' } })().catch((e: unknown) => e)
    expect(caught).toMatchObject({ code: 'BAD_QUANTITY', requestId: 'from-the-caller-1' })
  })

  it('a timeout through withOptions aborts the fetch with TIMEOUT, and the service sees it too', async () => {
    const before = await abortStats()
    const startedAt = Date.now()
    await expect(withOptions(stub('waitForAbort'), { timeoutMs: 300 })(10_000)).rejects.toMatchObject({ code: 'TIMEOUT', status: 504 })
    expect(Date.now() - startedAt).toBeLessThan(10_000)
    const after = await poll(abortStats, s => s.aborted > before.aborted)
    expect(after.aborted).toBe(before.aborted + 1)
    // The options applied to that call only.
    expect(await stub('waitForAbort')(10)).toBe(false)
  })
})

describe('the service-side timeout', () => {
  it('answers 504 TIMEOUT past timeoutMs, and the function sees its request signal abort', async () => {
    const before = await abortStats()
    await expect(stub('waitForAbort')(8_000)).rejects.toMatchObject({ status: 504, code: 'TIMEOUT' })
    const after = await poll(abortStats, s => s.aborted > before.aborted)
    expect(after.aborted).toBe(before.aborted + 1)
  })
})

describe('the plain-JSON fast path of the stubs', () => {
  it('sends argument lists of plain primitives as JSON, anything else in the rich encoding', async () => {
    const { encodeArgs } = await import('../../src/runtime/shared/codec')
    expect(encodeArgs([2, 3, 'x', true, null])).toEqual({ body: '[2,3,"x",true,null]', type: 'application/json' })
    for (const value of [-0, Number.NaN, Infinity, undefined, 1n, new Date(0), [1], { a: 1 }])
      expect(encodeArgs([1, value]).type, String(value)).toBe(RICH_TYPE)
  })
})

describe('timeouts seen through node:http', () => {
  it('a failed request ended by the caller\'s timeout is a TIMEOUT, by its abort an ABORTED, by the network UNAVAILABLE', async () => {
    const { transportError } = await import('../../src/runtime/client/call')
    const meta = { name: 'f', route: '/femto/f' }
    const aborted = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })
    const timedOut = AbortSignal.timeout(1)
    await new Promise(resolve => timedOut.addEventListener('abort', resolve))
    expect(transportError(meta, aborted, { timeoutMs: 1 }, timedOut)).toMatchObject({ code: 'TIMEOUT', status: 504 })
    const controller = new AbortController()
    controller.abort()
    expect(transportError(meta, aborted, {}, controller.signal)).toMatchObject({ code: 'ABORTED', status: 499 })
    expect(transportError(meta, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {}, undefined)).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
  })
})

describe('version skew', () => {
  it('answers a stub built against an older signature with 409 STALE_CLIENT', async () => {
    const v1 = manifest.functions.find(f => f.name === 'priceOf')!
    const root = mkdtempSync(join(tmpdir(), 'femto-skew-'))
    cpSync(APP, root, { recursive: true, filter: src => !src.includes('/dist') })
    const file = join(root, 'src/calls.ts')
    writeFileSync(file, readFileSync(file, 'utf8').replace('priceOf(sku: string, qty: number)', 'priceOf(sku: string, qty: number, currency = \'EUR\')').replace('return { sku, qty }', 'return { sku, qty, currency }'))
    const v2dist = await viteBuild(root, 'dist')
    const v2: Manifest = JSON.parse(readFileSync(join(v2dist, 'servers/femto.json'), 'utf8'))
    const v2fn = v2.functions.find(f => f.name === 'priceOf')!
    expect(v2fn.contract).not.toBe(v1.contract)
    // Only the signature makes the contract: the other functions kept theirs.
    expect(v2.functions.find(f => f.name === 'echo')!.contract).toBe(manifest.functions.find(f => f.name === 'echo')!.contract)

    const service = await startNode(join(v2dist, 'servers/priceOf.js'))
    processes.push(service)
    const old: StubMeta = { name: 'priceOf', route: v1.route, contract: v1.contract }
    configureFemto({ baseUrl: service.url })
    try {
      const stale = await (callFemto(old, ['mug', 1]) as Promise<unknown>).catch((e: unknown) => e)
      expect(stale).toBeInstanceOf(FemtoError)
      expect(stale).toMatchObject({ status: 409, code: 'STALE_CLIENT' })
      expect(await callFemto({ ...old, contract: v2fn.contract }, ['mug', 1])).toEqual({ sku: 'mug', qty: 1, currency: 'EUR' })
      // Plain JSON clients send no contract and are not refused.
      expect((await post(`${service.url}/femto/priceOf`, ['mug', 1])).status).toBe(200)
    }
    finally {
      configureFemto({ baseUrl: running.url })
    }
  })
})

describe('in real Chromium', () => {
  let browser: Browser
  afterAll(async () => browser?.close())

  it('round-trips every type through the browser stub', async () => {
    browser = await launchChromium()
    const page = await browser.newPage()
    await page.goto(running.url)
    await expect.poll(() => page.title()).toBe('wire ready')
    const report = await page.evaluate(roundTripTable)
    expect(report.filter(r => !r.ok)).toEqual([])
    expect(report).toHaveLength(22)
  })

  it('streams into the page, and errors arrive as FemtoError', async () => {
    const page = await browser.newPage()
    await page.goto(running.url)
    await expect.poll(() => page.title()).toBe('wire ready')
    const result = await page.evaluate(async () => {
      const { ticks, failing, FemtoError: ErrorClass } = (globalThis as any).femto
      const seen: number[] = []
      for await (const tick of ticks(3, 10))
        seen.push(tick.i)
      let code = ''
      try {
        for await (const _ of failing()) { /* first value, then the error */ }
      }
      catch (error) {
        code = error instanceof ErrorClass ? (error as any).code : 'not a FemtoError'
      }
      return { seen, code }
    })
    expect(result).toEqual({ seen: [0, 1, 2], code: 'SOURCE_GONE' })
  })
})
