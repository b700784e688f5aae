import type { Server } from 'node:http'
import type { RunningFemto } from '../../src/testing'
import type { schedule } from '../fixtures/testing-app/src/calendar'
import type { add, countdown, double } from '../fixtures/testing-app/src/math'
import type { placeOrder } from '../fixtures/testing-app/src/orders'
import type { price } from '../fixtures/testing-app/src/prices'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { FemtoError, withOptions } from '../../src/runtime'
import { startFemto } from '../../src/testing'
import { placeOrder as plainPlaceOrder } from '../fixtures/testing-app/src/orders'
import { price as plainPrice } from '../fixtures/testing-app/src/prices'
import { post, processAlive } from '../helpers'

const run = promisify(execFile)

// `unplugin-femto/testing`: a femto function's real service, built by the plugin core, on a free
// port, called through a typed client that is the browser's stub. And without the plugin, the
// same import in a test is the plain function.

const APP = join(import.meta.dirname, '../fixtures/testing-app')
const BAD_APP = join(import.meta.dirname, '../fixtures/bad-app')

const refused = (url: string): Promise<unknown> => expect(fetch(`${url}/healthz`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } })

let femto: RunningFemto

beforeAll(async () => {
  femto = await startFemto({ root: APP })
})

afterAll(async () => {
  await femto?.close()
})

describe('startFemto on a project', () => {
  it('builds every function and starts each service on its own free port', () => {
    expect(femto.services).toEqual(['add', 'boot', 'countdown', 'double', 'placeOrder', 'price', 'schedule'])
    const origins = femto.services.map(name => femto.url(name))
    expect(new Set(origins).size).toBe(origins.length)
    for (const origin of origins)
      expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(femto.outDir.startsWith(tmpdir())).toBe(true)
    expect(femto.manifest.functions.map(f => f.name)).toContain('add')
  })

  it('gives a typed client that calls the service over HTTP', async () => {
    const remoteAdd = femto.client<typeof add>('add')
    expectTypeOf(remoteAdd).toEqualTypeOf<(a: number, b: number) => Promise<number>>()
    expect(await remoteAdd(1, 2)).toBe(3)
  })

  it('makes the client of a sync function asynchronous, and of a stream an AsyncIterable', async () => {
    const remoteDouble = femto.client<typeof double>('double')
    expectTypeOf(remoteDouble).toEqualTypeOf<(n: number) => Promise<number>>()
    expect(await remoteDouble(21)).toBe(42)

    const remoteCountdown = femto.client<typeof countdown>('countdown')
    expectTypeOf(remoteCountdown).toEqualTypeOf<(from: number) => AsyncIterable<number>>()
    const seen: number[] = []
    for await (const n of remoteCountdown(3))
      seen.push(n)
    expect(seen).toEqual([3, 2, 1])
  })

  it('answers plain HTTP on each service origin and through the gateway', async () => {
    const direct = await post(`${femto.url('add')}/femto/add`, { a: 2, b: 3 })
    expect(direct.status).toBe(200)
    expect(direct.body).toBe(5)
    const viaGateway = await post(`${femto.gateway}/femto/double`, [4])
    expect(viaGateway.status).toBe(200)
    expect(viaGateway.body).toBe(8)
  })

  it('lets a service call another femto function in its own process', async () => {
    const remotePlaceOrder = femto.client<typeof placeOrder>('placeOrder')
    const order = await remotePlaceOrder([{ sku: 'mug', qty: 2 }, { sku: 'tee', qty: 1 }])
    expect(order.total).toBe(4900)
    expect(order.pid).not.toBe(process.pid)
    expect(processAlive(order.pid)).toBe(true)
    // placeOrder's process counted its calls to price.
    const metrics = await (await fetch(`${femto.url('placeOrder')}/metrics`)).text()
    expect(metrics).toMatch(/^femto_calls_total\{[^}]*target="price"[^}]*outcome="ok"\} [1-9]/m)
  })

  it('rethrows an expected error as a FemtoError with its code, also from a service two calls away', async () => {
    const remotePrice = femto.client<typeof price>('price')
    const error = await remotePrice('ufo').catch(e => e)
    expect(error).toBeInstanceOf(FemtoError)
    expect(error).toMatchObject({ code: 'UNKNOWN_SKU', status: 500, message: 'no price for \'ufo\'', data: { sku: 'ufo' } })

    const remotePlaceOrder = femto.client<typeof placeOrder>('placeOrder')
    await expect(remotePlaceOrder([{ sku: 'ufo', qty: 1 }])).rejects.toMatchObject({ code: 'UNKNOWN_SKU', status: 500 })
  })

  it('round-trips rich values like a browser stub: Date and Map in, Date and Set out', async () => {
    const remoteSchedule = femto.client<typeof schedule>('schedule')
    expectTypeOf(remoteSchedule).returns.resolves.toEqualTypeOf<{ end: Date, tasks: Set<string> }>()
    const plan = await remoteSchedule(new Date(0), new Map([['write', 30], ['review', 15]]))
    expect(plan.end).toBeInstanceOf(Date)
    expect(plan.end.toISOString()).toBe('1970-01-01T00:45:00.000Z')
    expect(plan.tasks).toEqual(new Set(['write', 'review']))
  })

  it('checks the arguments against the types, as the service does for every caller', async () => {
    const remoteAdd = femto.client<(a: unknown, b: unknown) => Promise<number>>('add')
    await expect(remoteAdd(1, 'two')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', status: 400, message: '$.b: expected number' })
  })

  it('takes per-call options through withOptions', async () => {
    const remoteAdd = femto.client<typeof add>('add')
    await expect(withOptions(remoteAdd, { signal: AbortSignal.abort() })(1, 2)).rejects.toMatchObject({ code: 'ABORTED', status: 499 })
  })

  it('says which names exist when asked for an unknown one', () => {
    expect(() => femto.client('subtract')).toThrow(/no femto function or service is named 'subtract' \(functions: add, boot, countdown/)
  })
})

describe('startFemto on some functions of a build', () => {
  it('starts the services asked for and those they call, nothing else', async () => {
    const some = await startFemto({ outDir: femto.outDir, functions: ['placeOrder'] })
    try {
      expect(some.services).toEqual(['placeOrder', 'price'])
      const order = await some.client<typeof placeOrder>('placeOrder')([{ sku: 'tee', qty: 2 }])
      expect(order.total).toBe(5000)
      expect(() => some.url('add')).toThrow(/'add' is served by 'add', which was not started \(started: placeOrder, price\)/)
    }
    finally {
      await some.close()
    }
  })

  it('sends calls to a callee given in env to that address, and does not start it', async () => {
    // A stand-in price service of the test's own, in plain JSON as any language could answer.
    const fake: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(req.url === '/femto/price' ? '7' : '{"error":{"code":"NOT_FOUND","message":"no"}}')
    })
    await new Promise<void>(done => fake.listen(0, '127.0.0.1', () => done()))
    const origin = `http://127.0.0.1:${(fake.address() as { port: number }).port}`
    try {
      await using some = await startFemto({ outDir: femto.outDir, functions: ['placeOrder'], env: { FEMTO_URL_PRICE: origin } })
      expect(some.services).toEqual(['placeOrder'])
      expect((await some.client<typeof placeOrder>('placeOrder')([{ sku: 'anything', qty: 3 }])).total).toBe(21)
    }
    finally {
      fake.close()
    }
  })

  it('refuses a function name the build does not have', async () => {
    await expect(startFemto({ outDir: femto.outDir, functions: ['ad'] })).rejects.toThrow(/functions: no femto function is named 'ad' \(known: add, boot/)
  })
})

describe('the package entry', () => {
  it('is unplugin-femto/testing, as users import it, sharing withOptions with unplugin-femto/runtime', async () => {
    // The built package (npm run build), not this repository's sources.
    const { startFemto: fromPackage } = await import('unplugin-femto/testing')
    const runtime = await import('unplugin-femto/runtime')
    await using built = await fromPackage({ outDir: femto.outDir, functions: ['double'] })
    const remoteDouble = built.client<typeof double>('double')
    expect(await remoteDouble(5)).toBe(10)
    await expect(runtime.withOptions(remoteDouble, { signal: AbortSignal.abort() })(5)).rejects.toBeInstanceOf(runtime.FemtoError)
  })
})

describe('stopping and failing', () => {
  it('stops every process and the gateway on close, and removes its temporary build', async () => {
    const cache = join(APP, 'node_modules/.cache/unplugin-femto')
    const cached = (): string[] => (existsSync(cache) ? readdirSync(cache).sort() : [])
    const before = cached()
    const own = await startFemto({ root: APP, functions: ['placeOrder'] })
    const { pid } = await own.client<typeof placeOrder>('placeOrder')([])
    const urls = [own.url('placeOrder'), own.url('price'), own.gateway]
    expect(processAlive(pid)).toBe(true)
    expect(existsSync(own.outDir)).toBe(true)

    await own.close()
    expect(processAlive(pid)).toBe(false)
    for (const url of urls)
      await refused(url)
    expect(existsSync(own.outDir)).toBe(false)
    // Nor does it leave the hashes of its one-off build in the project's cache.
    expect(cached()).toEqual(before)
    // Everything the services wrote is kept: their start and each call they answered.
    expect(own.logs('price')).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/)
    expect(own.logs('placeOrder')).toMatch(/placeOrder.* 200/)
    expect(own.logs()).toContain(own.logs('price'))
    // Closing twice is harmless.
    await own.close()
  })

  it('stops the services of `await using` when the block ends', async () => {
    let url: string
    {
      await using scoped = await startFemto({ outDir: femto.outDir, functions: ['add'] })
      url = scoped.url('add')
      expect(await scoped.client<typeof add>('add')(40, 2)).toBe(42)
    }
    await refused(url)
  })

  it('fails with the build error, its place and code frame, and leaves no temporary folder', async () => {
    const before = readdirSync(tmpdir()).filter(name => name.startsWith('femto-test-')).length
    const error: Error = await startFemto({ root: BAD_APP }).catch(e => e)
    expect(error.message).toMatch(/^\[unplugin-femto\] src\/cart\.ts:3:5: 'use femto' cannot mark a class method/)
    expect(error.message).toContain('> 3 |     \'use femto\'')
    expect(readdirSync(tmpdir()).filter(name => name.startsWith('femto-test-')).length).toBe(before)
  })

  it('fails with the output of a service that exits before it is healthy', async () => {
    const error: Error = await startFemto({ outDir: femto.outDir, functions: ['boot'], env: { TESTING_APP_CRASH: 'no database' } }).catch(e => e)
    expect(error.message).toMatch(/service 'boot' exited \(code 1\) before it was healthy/)
    expect(error.message).toContain('Error: boot refused to start: no database')
  })

  it('femto up, which starts services the same way, fails the same way', async () => {
    const cli = join(import.meta.dirname, '../../dist/cli.js')
    const failed = await run(process.execPath, [cli, 'up', femto.outDir, '--port', '0', '--free-ports'], { env: { ...process.env, TESTING_APP_CRASH: 'no database' } }).catch(e => e)
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/femto: femto up: service 'boot' exited \(code 1\) before it was healthy/)
    expect(failed.stderr).toContain('Error: boot refused to start: no database')
  })
})

describe('without the plugin', () => {
  it('imports a femto function as the plain function it is, called in the test process', async () => {
    // The directive is only a string: no build, no service, no HTTP.
    const order = await plainPlaceOrder([{ sku: 'mug', qty: 1 }])
    expect(order).toEqual({ total: 1200, pid: process.pid })
    const error = await plainPrice('ufo').catch(e => e)
    expect(error).not.toBeInstanceOf(FemtoError)
    expect(error).toMatchObject({ code: 'UNKNOWN_SKU', message: 'no price for \'ufo\'' })
  })
})
