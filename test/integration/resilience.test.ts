import type { Manifest } from '../../src/core/build/manifest'
import type { Answer, KeptAliveAnswer, RunningProcess } from '../helpers'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { printSummary } from '../../src/core/build/summary'
import { callFemto, configureFemto } from '../../src/runtime'
import { createGateway } from '../../src/up/gateway'
import { keptAliveCaller, post, readTree, startNode, viteBuild } from '../helpers'

// Fault injection against real processes: services are killed, stopped (SIGSTOP), made slow
// and overloaded while other services call them through their generated stubs.

const APP = join(import.meta.dirname, '../fixtures/resilience-app')
const GROUPS = { flappy: ['flap', 'setFlapping', 'flapHits'] }

let dist: string
let manifest: Manifest
const running: RunningProcess[] = []
const service = (name: string): string => join(dist, 'servers', `${name}.js`)

async function start(name: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = await startNode(service(name), { env })
  running.push(proc)
  return proc
}

const call = (proc: RunningProcess, name: string, args: unknown[]): Promise<Answer> => post(`${proc.url}/femto/${name}`, args)

async function waitFor(check: () => boolean, what: string): Promise<void> {
  await expect.poll(check, { timeout: 10_000, interval: 10, message: `waiting for ${what}` }).toBe(true)
}

/** Waits for a line a service writes, e.g. what it does on SIGTERM. */
const logged = (proc: RunningProcess, line: RegExp): Promise<void> => waitFor(() => line.test(proc.output()), String(line))

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist', { groups: GROUPS })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
})

afterAll(async () => {
  for (const proc of running)
    proc.proc.kill('SIGCONT')
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('policies declared next to the function', () => {
  it('are resolved into femto.json and the build table', async () => {
    const policies = Object.fromEntries(manifest.functions.map(f => [f.name, f.policies]))
    expect(policies.record).toMatchObject({ retries: 5, idempotent: false, backoffMs: 50, breakerFailures: null, timeoutMs: 10_000 })
    expect(policies.flap).toMatchObject({ timeoutMs: 150, breakerFailures: 3, breakerResetMs: 700, retries: 0 })
    expect(policies.busy).toMatchObject({ concurrency: 2, retries: 3, idempotent: true })
    expect(policies.steady).toMatchObject({ concurrency: null, retries: 0, breakerFailures: 5 })
    expect(manifest.services.find(s => s.name === 'flappy')?.functions).toEqual(['flap', 'flapHits', 'setFlapping'])

    let table = ''
    await printSummary(manifest, join(dist, 'servers'), (text) => {
      table += text
    })
    expect(table).toMatch(/retries/)
    expect(table).toMatch(/record\.js .* 10000 ms\s+-\s+5 \(not idempotent\)/)
    expect(table).toMatch(/busy\.js .* 10000 ms\s+2\s+3/)
  })

  it('reach the stubs, and no server code reaches the browser', () => {
    const client = [...readTree(join(dist, 'client')).values()].join('\n')
    expect(client).toMatch(/name:`busy`,route:`\/femto\/busy`,contract:`\w+`,policy:\{retries:3\}/)
    for (const secret of ['ledger-body-marker-5d1e', 'appendFileSync', 'LEDGER_FILE', 'setTimeout(resolve, ms)', 'flap-ok'])
      expect(client).not.toContain(secret)
  })
})

describe('retries when a callee is killed mid-load', () => {
  it('every call succeeds or fails UNAVAILABLE after its attempts, and a non-idempotent call never runs twice', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'femto-ledger-')), 'ledger.txt')
    writeFileSync(ledger, '')
    let callee = await start('record', { LEDGER_FILE: ledger })
    const port = new URL(callee.url).port
    const relay = await start('relayRecord', { FEMTO_URL_RECORD: callee.url })

    const TOTAL = 400
    const outcomes = new Map<string, Answer>()
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < TOTAL) {
        const id = `call${next++}`
        outcomes.set(id, await call(relay, 'relayRecord', [id]))
      }
    }
    const load = Promise.all(Array.from({ length: 8 }, worker))
    await waitFor(() => outcomes.size >= 80, '80 calls')
    await callee.stop('SIGKILL')
    const killedAt = next
    // The callee comes back once a call has found it gone (and is being held until it is back).
    await logged(relay, /\[femto\] record: not reached \(.*ECONNREFUSED.*\); trying again/)
    callee = await start('record', { LEDGER_FILE: ledger, PORT: port })
    await load

    const executions = new Map<string, number>()
    for (const id of readFileSync(ledger, 'utf8').split('\n').filter(Boolean))
      executions.set(id, (executions.get(id) ?? 0) + 1)
    expect(outcomes.size).toBe(TOTAL)
    expect(Math.max(...executions.values())).toBe(1)
    let failed = 0
    for (const [id, answer] of outcomes) {
      if (answer.status === 200) {
        expect(answer.body).toBe(`${id}:23`)
        expect(executions.get(id)).toBe(1)
      }
      else {
        failed++
        // The caller passes its callee's error on with the callee's code.
        expect(answer.body.error.code, JSON.stringify(answer.body)).toBe('UNAVAILABLE')
      }
    }
    // Calls made after the restart all went through.
    for (let i = killedAt + 40; i < TOTAL; i++)
      expect(outcomes.get(`call${i}`)!.status).toBe(200)
    expect(failed).toBeLessThan(TOTAL / 2)
    // Refused connections were held without spending retries; the only failures are calls that
    // may have run (the connection broke after they were sent), which record must not retry.
    expect(relay.output()).not.toMatch(/\[femto\] record: UNAVAILABLE \(503\); retry/)
  })
})

describe('timeouts', () => {
  let sleepy: RunningProcess
  let relay: RunningProcess

  const done = join(mkdtempSync(join(tmpdir(), 'femto-sleepy-')), 'done.log')
  const finished = (): string => (existsSync(done) ? readFileSync(done, 'utf8') : '')

  beforeAll(async () => {
    sleepy = await start('sleepy', { DONE_FILE: done })
    relay = await start('relaySleepy', { FEMTO_URL_SLEEPY: sleepy.url })
  })

  it('the service answers 504 TIMEOUT once its function runs past timeoutMs, before the function would have answered', async () => {
    const answer = await call(sleepy, 'sleepy', [2_000])
    expect(answer.status).toBe(504)
    expect(answer.body.error).toMatchObject({ code: 'TIMEOUT', message: 'sleepy ran past its timeout of 300 ms' })
    // The function itself was still running when its caller got the 504.
    expect(finished()).not.toContain('done 2000')
    expect((await call(sleepy, 'sleepy', [5])).body).toBe(5)
    expect(finished()).toContain('done 5')
  })

  it('calls of one timeoutMs share a queue: each that runs past it gets 504, wherever it is in the queue; calls answered in time are left alone', async () => {
    const first = call(sleepy, 'sleepy', [2_000])
    // Answered within the timeout while the first waits: leaves the queue from its middle or end.
    expect((await Promise.all([call(sleepy, 'sleepy', [150]), call(sleepy, 'sleepy', [5])])).map(a => a.body)).toEqual([150, 5])
    // Started ≥ 150 ms after the first: its deadline comes after the one the queue's timer was armed for.
    const second = call(sleepy, 'sleepy', [2_000])
    for (const answer of await Promise.all([first, second]))
      expect([answer.status, answer.body.error]).toMatchObject([504, { code: 'TIMEOUT', message: 'sleepy ran past its timeout of 300 ms' }])
    expect((await call(sleepy, 'sleepy', [5])).body).toBe(5)
  })

  it('through a stub, the service\'s 504 arrives before the stub\'s own deadline', async () => {
    const answer = await call(relay, 'relaySleepy', [2_000])
    expect(answer.body).toMatchObject({ code: 'TIMEOUT', status: 504, message: 'sleepy ran past its timeout of 300 ms' })
  })

  it('a callee that never answers (stopped with SIGSTOP) is given up at the stub\'s deadline', async () => {
    sleepy.proc.kill('SIGSTOP')
    try {
      const answer = await call(relay, 'relaySleepy', [5])
      expect(answer.body).toMatchObject({ code: 'TIMEOUT', status: 504, message: 'femto function \'sleepy\' did not answer within 550 ms (its timeoutMs plus 250 ms)' })
      expect(answer.body.ms).toBeGreaterThanOrEqual(540)
      expect(answer.body.ms).toBeLessThan(5_000)
    }
    finally {
      sleepy.proc.kill('SIGCONT')
    }
    expect((await call(relay, 'relaySleepy', [5])).body).toMatchObject({ value: 5 })
  })
})

describe('circuit breaker', () => {
  it('opens after a run of failures, fails fast without reaching the callee, probes half-open and closes', async () => {
    const flappy = await start('flappy')
    const relay = await start('relayFlap', { FEMTO_URL_FLAPPY: flappy.url })
    const hits = async (): Promise<number> => (await call(flappy, 'flapHits', [])).body
    const flapThrough = async (): Promise<any> => (await call(relay, 'relayFlap', [])).body
    const failsFast = (answer: any): boolean => answer?.error?.code === 'UNAVAILABLE' && /the circuit breaker for service 'flappy' is open/.test(answer.error.message)
    /** Calls while the breaker is open fail fast without reaching flappy; once it is half-open, the next one goes through as its probe. */
    const probe = async (): Promise<any> => {
      let answer: any
      await expect.poll(async () => failsFast(answer = await flapThrough()), { timeout: 10_000, interval: 50 }).toBe(false)
      return answer
    }

    expect(await flapThrough()).toBe('flap-ok')
    await call(flappy, 'setFlapping', [true])
    for (let i = 0; i < 3; i++)
      expect((await flapThrough()).error.code).toBe('TIMEOUT')
    expect(relay.output()).toMatch(/circuit breaker for 'flappy' open for 700 ms after 3 failures in a row/)

    const before = await hits()
    const open = await flapThrough()
    expect(open.error).toMatchObject({ code: 'UNAVAILABLE' })
    expect(open.error.message).toMatch(/the circuit breaker for service 'flappy' is open after 3 failures in a row; next try in \d+ ms/)
    expect(await hits()).toBe(before)

    // Half-open, the probe fails: open again at once.
    expect((await probe()).error.code).toBe('TIMEOUT')
    expect(await hits()).toBe(before + 1)
    expect((await flapThrough()).error.message).toMatch(/circuit breaker/)
    expect(await hits()).toBe(before + 1)

    // Half-open, the probe succeeds: closed.
    await call(flappy, 'setFlapping', [false])
    expect(await probe()).toBe('flap-ok')
    expect(relay.output()).toMatch(/circuit breaker for 'flappy' closed: the probe call succeeded/)
    for (let i = 0; i < 3; i++)
      expect(await flapThrough()).toBe('flap-ok')
    expect(await hits()).toBe(before + 5)
  })
})

describe('concurrency limits', () => {
  it('n+k parallel calls against concurrency N get exactly k 503 OVERLOADED answers with Retry-After', async () => {
    const busy = await start('busyOnce')
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(busy, 'busyOnce', [400])))
    const refused = answers.filter(a => a.status === 503)
    expect(answers.filter(a => a.status === 200).map(a => a.body)).toEqual([400, 400])
    expect(refused).toHaveLength(3)
    for (const answer of refused) {
      expect(answer.body.error.code).toBe('OVERLOADED')
      expect(answer.headers.get('retry-after')).toBe('1')
    }
  })

  it('a service stub retries the refused calls into successes after Retry-After', async () => {
    const busy = await start('busy')
    const relay = await start('relayBusy', { FEMTO_URL_BUSY: busy.url })
    const answer = await call(relay, 'relayBusy', [5, 300])
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual([300, 300, 300, 300, 300])
    expect(relay.output()).toMatch(/\[femto\] busy: OVERLOADED \(503\); retry 1 of 3 in 1\d\d\d ms/)
  })

  it('a browser stub (fetch) does the same', async () => {
    const busy = await start('busy')
    configureFemto({ baseUrl: busy.url })
    const meta = { name: 'busy', route: '/femto/busy', policy: { retries: 3 } }
    const results = await Promise.all(Array.from({ length: 5 }, () => callFemto(meta, [300]) as Promise<unknown>))
    expect(results).toEqual([300, 300, 300, 300, 300])
  })
})

describe('through the femto up gateway', () => {
  it('a refused connection is marked as never reached, so a browser stub retries even a non-idempotent call', async () => {
    const dead = await start('steady')
    const deadUrl = dead.url
    await dead.stop('SIGKILL')
    // A short hold: the gateway gives up on the dead service at once (test/integration/gateway.test.ts holds longer).
    const gateway = createGateway({ staticDir: dist, hidden: ['servers'], basePath: '/femto', routes: new Map([['/femto/charge', deadUrl]]), hold: { holdMs: 0 } })
    await new Promise<void>(resolve => gateway.listen(0, '127.0.0.1', resolve))
    try {
      const origin = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`
      const answer = await post(`${origin}/femto/charge`, [1])
      expect(answer.status).toBe(502)
      expect(answer.headers.get('x-femto-not-reached')).toBe('1')
      configureFemto({ baseUrl: origin })
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      // timeoutMs 0: no time to hold the call either, so what remains are the counted retries.
      const meta = { name: 'charge', route: '/femto/charge', policy: { retries: 2, idempotent: false, backoffMs: 1, breakerFailures: null, timeoutMs: 0 } }
      await expect(callFemto(meta, [1]) as Promise<unknown>).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/\(gave up after 3 attempts\)$/) })
      expect(warn.mock.calls.filter(([line]) => String(line).startsWith('[femto] charge: UNAVAILABLE (502); retry'))).toHaveLength(2)
      warn.mockRestore()
    }
    finally {
      gateway.close()
    }
  })
})

describe('graceful shutdown under load', () => {
  /** Whether a new connection is refused (the listener closed). */
  const refuses = (proc: RunningProcess): Promise<boolean> => fetch(`${proc.url}/healthz`).then(res => res.body?.cancel().then(() => false) ?? false, () => true)
  const burst = (proc: RunningProcess, n: number): Promise<Answer[]> => Promise.all(Array.from({ length: n }, () => call(proc, 'steady', [500])))
  /** A steady service that notes each call it starts, so the test knows when all are in flight. */
  const startSteady = async (env: Record<string, string> = {}): Promise<{ steady: RunningProcess, inFlight: (n: number) => Promise<void> }> => {
    const started = join(mkdtempSync(join(tmpdir(), 'femto-steady-')), 'started.txt')
    writeFileSync(started, '')
    const steady = await start('steady', { STARTED_FILE: started, ...env })
    const inFlight = (n: number): Promise<void> => waitFor(() => readFileSync(started, 'utf8').split('\n').filter(Boolean).length >= n, `${n} calls in flight`)
    return { steady, inFlight }
  }

  it('on SIGTERM during a burst: every accepted call gets its full answer, new connections are refused, exit 0', async () => {
    const { steady, inFlight } = await startSteady()
    const answers = burst(steady, 20)
    await inFlight(20)
    const exit = steady.stop('SIGTERM')
    await logged(steady, /steady received SIGTERM: \/readyz answers 503, new connections refused;/)
    await expect.poll(() => refuses(steady)).toBe(true)
    for (const answer of await answers) {
      expect(answer.status).toBe(200)
      expect(answer.body).toBe('steady:500')
    }
    expect(await exit).toBe(0)
  })

  it('answers a call sent on a kept-alive connection after SIGTERM, closing that connection, and exits once its caller lets go', async () => {
    const { steady } = await startSteady()
    const caller = keptAliveCaller()
    const send = (): Promise<KeptAliveAnswer> => caller.send(`${steady.url}/femto/steady`, '[1]')
    expect(await send()).toMatchObject({ status: 200, reused: false })
    const exit = steady.stop('SIGTERM')
    await logged(steady, /steady received SIGTERM: \/readyz answers 503, new connections refused;/)
    await expect.poll(() => refuses(steady)).toBe(true)
    // The idle connection was left open: a call going out on it as the service stops is answered, not cut off.
    expect(await send()).toEqual({ status: 200, body: '"steady:1"', connection: 'close', reused: true })
    expect(await exit).toBe(0)
    caller.close()
  })

  it('with FEMTO_DRAIN_DELAY_MS, /readyz answers 503 at once while the listener stays open for the delay', async () => {
    const { steady, inFlight } = await startSteady({ FEMTO_DRAIN_DELAY_MS: '1500' })
    const answers = burst(steady, 20)
    await inFlight(20)
    const exit = steady.stop('SIGTERM')
    await logged(steady, /steady received SIGTERM: \/readyz answers 503, new connections refused in 1500 ms/)
    const ready = await fetch(`${steady.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(await ready.json()).toEqual({ status: 'draining', service: 'steady', pid: steady.proc.pid })
    expect((await fetch(`${steady.url}/healthz`)).status).toBe(200)
    for (const answer of await answers)
      expect(answer.body).toBe('steady:500')
    await expect.poll(() => refuses(steady), { timeout: 10_000 }).toBe(true)
    expect(await exit).toBe(0)
  })
})
