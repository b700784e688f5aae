import type { StubMeta } from '../../src/runtime/shared/protocol'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import { callWithPolicy, parseRetryAfter, withFacts } from '../../src/runtime/client/resilience'
import { FemtoError } from '../../src/runtime/shared/errors'
import { callFailingWith } from '../support/policy-calls'

// The retry and breaker decisions on their own, with attempts that fail as told: the fault
// injection against real processes is in test/resilience.test.ts.

let names = 0
const meta = (policy: StubMeta['policy']): StubMeta => ({ name: `fn${++names}`, route: '/femto/x', policy })
const failure = (status: number, code: string, facts: Parameters<typeof withFacts>[1] = {}): FemtoError => withFacts(new FemtoError(status, { code, message: code }), facts)
const onAbort = (): FemtoError => new FemtoError(499, { code: 'ABORTED', message: 'aborted' })

const run = callFailingWith

describe('which failures are retried', () => {
  vi.spyOn(console, 'warn').mockImplementation(() => {})
  const fast = { retries: 3, backoffMs: 1, backoffMaxMs: 2 }

  it('retries network errors, 502/503/504 and 429 until they pass', async () => {
    for (const error of [failure(503, 'UNAVAILABLE'), failure(502, 'BAD_RESPONSE'), failure(504, 'TIMEOUT'), failure(429, 'RATE_LIMITED'), failure(503, 'OVERLOADED')])
      expect(await run(meta(fast), [error, error])).toEqual({ attempts: 3, result: 'ok' })
  })

  it('never retries a thrown 500, even one with a callee\'s OVERLOADED code, nor a 4xx', async () => {
    for (const error of [failure(500, 'OVERLOADED'), failure(500, 'INTERNAL_ERROR'), failure(400, 'INVALID_ARGUMENT'), failure(409, 'STALE_CLIENT'), failure(404, 'NOT_FOUND')]) {
      const outcome = await run(meta(fast), [error])
      expect(outcome.attempts).toBe(1)
      expect(outcome.error).toBe(error)
    }
  })

  it('gives up after the last retry, saying so', async () => {
    const outcome = await run(meta(fast), Array.from({ length: 4 }, () => failure(503, 'UNAVAILABLE')))
    expect(outcome.attempts).toBe(4)
    expect(outcome.error?.message).toBe('UNAVAILABLE (gave up after 4 attempts)')
  })

  it('retries a non-idempotent call only where it surely never ran', async () => {
    const policy = { ...fast, idempotent: false }
    expect((await run(meta(policy), [failure(503, 'UNAVAILABLE')])).attempts).toBe(1)
    expect((await run(meta(policy), [failure(504, 'TIMEOUT')])).attempts).toBe(1)
    expect(await run(meta(policy), [failure(503, 'UNAVAILABLE', { notReached: true })])).toEqual({ attempts: 2, result: 'ok' })
    expect(await run(meta(policy), [failure(503, 'OVERLOADED'), failure(429, 'SLOW_DOWN')])).toEqual({ attempts: 3, result: 'ok' })
  })

  it('waits what Retry-After says, and gives up when that is longer than backoffMaxMs', async () => {
    const started = Date.now()
    expect(await run(meta({ retries: 1, backoffMs: 1 }), [failure(503, 'OVERLOADED', { retryAfterMs: 120 })])).toEqual({ attempts: 2, result: 'ok' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(115)
    const outcome = await run(meta({ retries: 3 }), [failure(503, 'OVERLOADED', { retryAfterMs: 60_000 })])
    expect(outcome.attempts).toBe(1)
    expect(outcome.error?.message).toMatch(/gave up after 1 attempt; the service asked to wait 60000 ms \(Retry-After\)/)
  })

  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000)
    const inTwoSeconds = parseRetryAfter(new Date(Date.now() + 2_000).toUTCString())!
    expect(inTwoSeconds).toBeGreaterThan(0)
    expect(inTwoSeconds).toBeLessThanOrEqual(2_000)
    expect(parseRetryAfter('soon')).toBeUndefined()
    expect(parseRetryAfter(null)).toBeUndefined()
  })

  it('stops retrying when the caller aborts during the wait', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    const outcome = await run(meta({ retries: 3, backoffMs: 1_000, backoffMaxMs: 1_000 }), [failure(503, 'UNAVAILABLE', { retryAfterMs: 500 })], controller.signal)
    expect(outcome.error?.code).toBe('ABORTED')
    expect(outcome.attempts).toBe(1)
  })
})

describe('circuit breaker', () => {
  vi.spyOn(console, 'warn').mockImplementation(() => {})
  const policy = { breakerFailures: 2, breakerResetMs: 80 }
  const down = (): FemtoError => failure(503, 'UNAVAILABLE')

  it('lets one probe through when half-open; calls admitted before it opened change nothing', async () => {
    const m = meta(policy)
    let releaseOld!: () => void
    // A call admitted while closed, still running when the breaker opens.
    const old = callWithPolicy(m, undefined, onAbort, () => new Promise((_, reject) => {
      releaseOld = () => reject(down())
    }))
    await run(m, [down()])
    await run(m, [down()])
    expect((await run(m, [])).error?.message).toMatch(/circuit breaker for service 'fn\d+' is open after 2 failures in a row; next try in \d+ ms/)
    await sleep(100)

    let releaseProbe!: () => void
    let probeRan = false
    const probe = callWithPolicy(m, undefined, onAbort, () => new Promise((resolve) => {
      probeRan = true
      releaseProbe = () => resolve('probe-ok')
    }))
    expect(probeRan).toBe(true)
    expect((await run(m, [])).error?.message).toMatch(/a probe call is under way/)
    releaseOld()
    await old.catch(() => {})
    // The old call's failure neither reopened the breaker nor freed the probe slot.
    expect((await run(m, [])).error?.message).toMatch(/a probe call is under way/)
    releaseProbe()
    expect(await probe).toBe('probe-ok')
    expect(await run(m, [])).toEqual({ attempts: 1, result: 'ok' })
  })

  it('reopens when the probe fails, and frees the probe slot when its caller aborts', async () => {
    const m = meta(policy)
    await run(m, [down()])
    await run(m, [down()])
    await sleep(100)
    expect((await run(m, [down()])).attempts).toBe(1)
    expect((await run(m, [])).error?.message).toMatch(/next try in/)
    await sleep(100)
    const controller = new AbortController()
    const aborted = run(m, [failure(503, 'UNAVAILABLE')], controller.signal)
    controller.abort()
    await aborted
    expect(await run(m, [])).toEqual({ attempts: 1, result: 'ok' })
  })

  it('admits another probe when one never settles', async () => {
    const m = meta(policy)
    await run(m, [down()])
    await run(m, [down()])
    await sleep(100)
    void callWithPolicy(m, undefined, onAbort, () => new Promise(() => {}))
    expect((await run(m, [])).error?.message).toMatch(/a probe call is under way/)
    await sleep(100)
    expect(await run(m, [])).toEqual({ attempts: 1, result: 'ok' })
  })

  it('ends a call\'s retries when its failures open the breaker', async () => {
    const outcome = await run(meta({ ...policy, retries: 5, backoffMs: 1 }), [down(), down(), down()])
    expect(outcome.attempts).toBe(2)
    expect(outcome.error?.message).toMatch(/\(gave up after 2 attempts; the circuit breaker for 'fn\d+' opened\)/)
  })
})
