import type { AddressInfo } from 'node:net'
import type { StubMeta } from '../../src/runtime/shared/protocol'
import http from 'node:http'
import { describe, expect, it, vi } from 'vitest'
import { CONNECT_TIMEOUT_CODE, IDLE_CONNECTION_MS, isBrokenConnection, keptAliveAgent, letGoOfIdleConnections, neverReached, notReachedWait } from '../../src/runtime/client/not-reached'
import { callWithPolicy, withFacts } from '../../src/runtime/client/resilience'
import { FemtoError } from '../../src/runtime/shared/errors'
import { callFailingWith } from '../support/policy-calls'

// Calls that surely never reached the function: which failures are such, and how the stub's
// policy holds them (not counted as retries, not opening the breaker). Against real processes:
// test/integration/not-reached.test.ts.

let names = 0
const meta = (policy: StubMeta['policy']): StubMeta => ({ name: `held${++names}`, route: '/femto/x', policy })
const notReached = (): FemtoError => withFacts(new FemtoError(503, { code: 'UNAVAILABLE', message: 'connect ECONNREFUSED' }), { notReached: true })
const mayHaveRun = (): FemtoError => new FemtoError(503, { code: 'UNAVAILABLE', message: 'a 503 from a proxy' })
const broken = (): FemtoError => withFacts(new FemtoError(503, { code: 'UNAVAILABLE', message: 'read ECONNRESET' }), { brokenConnection: true })
const onAbort = (): FemtoError => new FemtoError(499, { code: 'ABORTED', message: 'aborted' })
const errno = (code: string, syscall?: string): Error => Object.assign(new Error(`${syscall ?? ''} ${code}`), { code, syscall })

const run = callFailingWith

describe('which failures never reached the function', () => {
  it('a connection that never opened: refused, a name that does not resolve, a connect timeout', () => {
    for (const error of [
      errno('ECONNREFUSED', 'connect'),
      errno('ENOTFOUND', 'getaddrinfo'),
      errno('EAI_AGAIN', 'getaddrinfo'),
      errno('EHOSTUNREACH', 'connect'),
      errno('ETIMEDOUT', 'connect'),
      errno(CONNECT_TIMEOUT_CODE),
      // fetch (undici) wraps the reason as `cause`; Node's happy eyeballs as an AggregateError with the code.
      new TypeError('fetch failed', { cause: errno('ECONNREFUSED', 'connect') }),
      new TypeError('fetch failed', { cause: Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' }) }),
      Object.assign(new AggregateError([errno('ECONNREFUSED', 'connect')], 'connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ])
      expect(neverReached(error), String(error)).toBe(true)
  })

  it('not a connection that broke after the request may have been sent, nor anything else', () => {
    for (const error of [
      errno('ECONNRESET', 'read'),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      errno('EPIPE', 'write'),
      errno('ETIMEDOUT', 'read'),
      new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }),
      new TypeError('Failed to fetch'),
      new Error('boom'),
      undefined,
    ])
      expect(neverReached(error), String(error)).toBe(false)
  })

  it('a connection that broke under the request may have reached it', () => {
    for (const error of [errno('ECONNRESET', 'read'), Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), errno('EPIPE', 'write'), new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) })])
      expect(isBrokenConnection(error), String(error)).toBe(true)
    for (const error of [errno('ECONNREFUSED', 'connect'), new TypeError('Failed to fetch'), undefined])
      expect(isBrokenConnection(error), String(error)).toBe(false)
  })

  it('waits 25–50 ms at first, growing to 250–500 ms', () => {
    for (let i = 0; i < 50; i++) {
      expect(notReachedWait(1)).toBeGreaterThanOrEqual(25)
      expect(notReachedWait(1)).toBeLessThanOrEqual(50)
      expect(notReachedWait(30)).toBeGreaterThanOrEqual(250)
      expect(notReachedWait(30)).toBeLessThanOrEqual(500)
    }
  })
})

describe('a call that did not reach its function', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})

  it('is tried again without retries, even when not idempotent, and says so once', async () => {
    warn.mockClear()
    const m = meta({ retries: 0, idempotent: false })
    expect(await run(m, [notReached(), notReached(), notReached()])).toEqual({ attempts: 4, result: 'ok' })
    const lines = warn.mock.calls.map(([line]) => String(line))
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^\\[femto\\] ${m.name}: not reached \\(connect ECONNREFUSED\\); trying again for up to 10000 ms$`))])
  })

  it('does not open the breaker, however many times it is refused within its deadline', async () => {
    const m = meta({ breakerFailures: 2, breakerResetMs: 60_000 })
    expect(await run(m, Array.from({ length: 8 }, notReached))).toEqual({ attempts: 9, result: 'ok' })
    // One failure that may have reached the function is still one short of opening it.
    expect((await run(m, [mayHaveRun()])).attempts).toBe(1)
    expect(await run(m, [])).toEqual({ attempts: 1, result: 'ok' })
  })

  it('stops holding at holdUntil: a service\'s stub, before the call it serves times out', async () => {
    const m = meta({ retries: 0 })
    const attempt = (failures: FemtoError[]) => {
      let attempts = 0
      return async (): Promise<string> => {
        const error = failures[attempts++]
        if (error)
          throw error
        return `ok after ${attempts}`
      }
    }
    expect(await callWithPolicy(m, undefined, onAbort, attempt([notReached(), notReached()]), Date.now() + 60_000)).toBe('ok after 3')
    await expect(callWithPolicy(m, undefined, onAbort, attempt([notReached(), notReached()]), Date.now())).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/not reached for \d+ ms/) })
  })

  it('keeps its retries for failures that may have run the function', async () => {
    const m = meta({ retries: 1, backoffMs: 1 })
    expect(await run(m, [notReached(), notReached(), mayHaveRun(), notReached()])).toEqual({ attempts: 5, result: 'ok' })
    expect((await run(m, [notReached(), mayHaveRun(), notReached(), mayHaveRun()])).error?.message).toMatch(/gave up after 2 attempts/)
  })

  it('a non-idempotent call that may have run is not tried again', async () => {
    expect((await run(meta({ retries: 3, idempotent: false }), [notReached(), mayHaveRun()])).attempts).toBe(2)
  })

  it('an idempotent call whose connection broke before its answer is sent once more, without retries; a non-idempotent one never', async () => {
    expect(await run(meta({ retries: 0 }), [broken()])).toEqual({ attempts: 2, result: 'ok' })
    expect((await run(meta({ retries: 0 }), [broken(), broken()])).attempts).toBe(2)
    // Once per call: then retries apply as to any network error.
    expect(await run(meta({ retries: 1, backoffMs: 1 }), [broken(), broken()])).toEqual({ attempts: 3, result: 'ok' })
    expect((await run(meta({ retries: 3, idempotent: false }), [broken()])).attempts).toBe(1)
  })

  it('gives up at the function\'s timeoutMs, and that counts once for the breaker', async () => {
    const m = meta({ timeoutMs: 200, breakerFailures: 1, breakerResetMs: 60_000 })
    const given = await run(m, notReached)
    expect(given.attempts).toBeGreaterThan(1)
    expect(given.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^connect ECONNREFUSED \(not reached for \d+ ms\)$/) })
    expect((await run(m, [])).error?.message).toMatch(/the circuit breaker for service 'held\d+' is open after 1 failures in a row/)
  })

  it('ends when its caller aborts while it is held', async () => {
    warn.mockClear()
    const controller = new AbortController()
    const held = run(meta({}), notReached, controller.signal)
    await vi.waitFor(() => expect(warn.mock.calls.some(([line]) => /not reached/.test(String(line)))).toBe(true))
    controller.abort()
    expect((await held).error?.code).toBe('ABORTED')
  })
})

describe('kept-alive connections', () => {
  /** Serves one call with Node's 5 s keep-alive (as a service does) and resolves with who closed its connection. */
  async function whoCloses(agent: http.Agent): Promise<'client' | 'server'> {
    const server = http.createServer({ keepAliveTimeout: 5_000 }, (_req, res) => res.end('ok'))
    const closed = new Promise<'client' | 'server'>((resolve) => {
      server.once('connection', (socket) => {
        // The client's FIN arrives as 'end'; the server's own keep-alive timeout destroys the socket without one.
        let ended = false
        socket.once('end', () => ended = true)
        socket.once('close', () => resolve(ended ? 'client' : 'server'))
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        http.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { agent }, res => res.resume().on('end', resolve)).on('error', reject)
      })
      return await closed
    }
    finally {
      server.close()
      agent.destroy()
    }
  }

  it('our agents let go of an idle connection before the service\'s keep-alive ends it, so no call goes out on a connection being closed', async () => {
    expect(await whoCloses(keptAliveAgent(http.Agent))).toBe('client')
  }, 10_000)

  it('letGoOfIdleConnections closes them at once, as a stopping process does', async () => {
    const agent = keptAliveAgent(http.Agent)
    const started = performance.now()
    const closing = whoCloses(agent)
    // Once the answer is in, the connection is idle in the agent.
    await expect.poll(() => Object.keys(agent.freeSockets).length).toBe(1)
    letGoOfIdleConnections()
    expect(await closing).toBe('client')
    expect(performance.now() - started).toBeLessThan(IDLE_CONNECTION_MS)
  })
})
