import type { StubMeta, StubPolicy } from '../shared/protocol'
import { FemtoError } from '../shared/errors'
import { STUB_DEFAULTS } from '../shared/protocol'
import { NOT_REACHED_DEADLINE_MS, notReachedWait } from './not-reached'

/**
 * Past the service's own `timeoutMs`, a stub waits this much longer before giving up on an
 * attempt itself: long enough for the service's 504 (which says more) to arrive first.
 */
export const DEADLINE_GRACE_MS = 250

/** What an attempt knows about its failure beyond the error: facts the retry decision needs. */
interface FailureFacts {
  /** From the answer's `Retry-After`. */
  retryAfterMs?: number
  /** The request surely never reached the function (no connection, or a gateway's `x-femto-not-reached`). */
  notReached?: boolean
  /**
   * The connection broke before the answer was complete: the service was killed or restarted
   * mid-call, or closed a kept-alive connection just as the request went out (HTTP/1.1's
   * keep-alive race). It may have run, so only an idempotent call is sent again, once.
   */
  brokenConnection?: boolean
}
const facts = new WeakMap<object, FailureFacts>()

export function withFacts(error: FemtoError, more: FailureFacts): FemtoError {
  facts.set(error, { ...facts.get(error), ...more })
  return error
}

/** `Retry-After` in seconds or as an HTTP date, in ms. */
export function parseRetryAfter(header: string | null | undefined): number | undefined {
  if (!header)
    return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds))
    return Math.max(0, seconds * 1000)
  const date = Date.parse(header)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
}

export function deadlineError(meta: StubMeta, deadlineMs: number): FemtoError {
  return new FemtoError(504, { code: 'TIMEOUT', message: `femto function '${meta.name}' did not answer within ${deadlineMs} ms (its timeoutMs plus ${DEADLINE_GRACE_MS} ms)` })
}

interface Verdict {
  /** Worth another attempt (SPEC §7: network errors, 502/503/504, 429). */
  retry: boolean
  /** Retrying cannot run the function twice. */
  safe: boolean
  /** Counts as the service failing, for its circuit breaker. */
  trips: boolean
}

const FINAL: Verdict = { retry: false, safe: false, trips: false }

function judge(error: unknown): Verdict {
  if (!(error instanceof FemtoError))
    return FINAL
  // By status: a callee's error passed through a caller travels as a 500, whatever its code.
  // Refused before the function ran: a busy service, not a failing one.
  if (error.status === 429 || (error.status === 503 && error.code === 'OVERLOADED'))
    return { retry: true, safe: true, trips: false }
  if (error.status === 502 || error.status === 503 || error.status === 504)
    return { retry: true, safe: facts.get(error)?.notReached === true, trips: true }
  return FINAL
}

/**
 * Per target service, shared by every stub of the process (or page): after `breakerFailures`
 * failures in a row the service is not called for `breakerResetMs`; then one probe call goes
 * through (half-open), and only its outcome closes or reopens the breaker.
 */
interface Breaker {
  failures: number
  /** 0 while closed. */
  openUntil: number
  /** When the probe under way started (0: none); a probe that never settles expires after breakerResetMs. */
  probeSince: number
}
const breakers = new Map<string, Breaker>()

type Role = 'closed' | 'probe'

function admit(breaker: Breaker, meta: StubMeta, key: string, policy: StubPolicy): Role {
  if (breaker.openUntil === 0)
    return 'closed'
  const now = Date.now()
  const wait = breaker.openUntil - now
  const probing = breaker.probeSince !== 0 && now - breaker.probeSince < policy.breakerResetMs
  if (wait > 0 || probing)
    throw openError(meta, key, breaker, wait > 0 ? `next try in ${Math.ceil(wait)} ms` : 'a probe call is under way')
  breaker.probeSince = now
  return 'probe'
}

function openError(meta: StubMeta, key: string, breaker: Breaker, when: string): FemtoError {
  return new FemtoError(503, {
    code: 'UNAVAILABLE',
    message: `femto function '${meta.name}' was not called: the circuit breaker for service '${key}' is open after ${breaker.failures} failures in a row; ${when}`,
  })
}

/** `outcome`: the service answered (`ok`), failed (`tripped`), or the caller gave up first (`aborted`). */
function record(breaker: Breaker, role: Role, policy: StubPolicy, key: string, outcome: 'ok' | 'tripped' | 'aborted'): void {
  if (role === 'probe') {
    breaker.probeSince = 0
    if (outcome === 'ok') {
      breaker.failures = 0
      breaker.openUntil = 0
      console.warn(`[femto] circuit breaker for '${key}' closed: the probe call succeeded`)
    }
    else if (outcome === 'tripped') {
      breaker.openUntil = Date.now() + policy.breakerResetMs
      console.warn(`[femto] circuit breaker for '${key}' open again for ${policy.breakerResetMs} ms: the probe call failed`)
    }
    return
  }
  // Calls admitted before the breaker opened change nothing once it is open: only the probe does.
  if (breaker.openUntil !== 0 || outcome === 'aborted')
    return
  if (outcome === 'ok') {
    breaker.failures = 0
    return
  }
  if (++breaker.failures >= policy.breakerFailures!) {
    breaker.openUntil = Date.now() + policy.breakerResetMs
    console.warn(`[femto] circuit breaker for '${key}' open for ${policy.breakerResetMs} ms after ${breaker.failures} failures in a row`)
  }
}

/** Full jitter: a random wait below the exponential bound, so retrying callers spread out. */
function backoff(policy: StubPolicy, retry: number): number {
  return Math.round(Math.random() * Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** (retry - 1)))
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** One try of a call: `deadlineMs` is the attempt's own limit (undefined: none). */
export type Attempt<T> = (deadlineMs: number | undefined) => Promise<T>

/**
 * Runs a stub call under the function's policy: the circuit breaker of its service, a deadline
 * per attempt, and retries with backoff for the failures SPEC §7 lists. `signal` is the caller's
 * (its abort or `withOptions` timeout ends everything, retries included); `onAbort` turns its
 * reason into the error to throw.
 *
 * A call that surely did not reach the function (a service restarting) is tried again apart
 * from all that, until the call's deadline: such tries cannot run it twice, so they need no
 * `retries` and no idempotency, and a restart is not a failing service, so they leave the
 * breaker alone. Only a call still not reached at its deadline counts, once, as a failure. An
 * idempotent call whose connection broke before its answer is sent once more, likewise: it may
 * run twice, which is what idempotent allows, and a service killed mid-call then loses nothing.
 * `holdUntil` (`Date.now()` ms) ends such holding earlier: a service's stub stops before the
 * deadline of the call it serves, so that its caller learns which callee was not reached
 * rather than that the call timed out.
 */
export async function callWithPolicy<T>(meta: StubMeta, signal: AbortSignal | undefined, onAbort: (reason: unknown) => FemtoError, attempt: Attempt<T>, holdUntil?: number): Promise<T> {
  const policy = meta.policy ? { ...STUB_DEFAULTS, ...meta.policy } : STUB_DEFAULTS
  const key = meta.service ?? meta.name
  let breaker: Breaker | undefined
  if (policy.breakerFailures != null) {
    breaker = breakers.get(key)
    if (!breaker)
      breakers.set(key, breaker = { failures: 0, openUntil: 0, probeSince: 0 })
  }
  const deadlineMs = policy.timeoutMs == null ? undefined : policy.timeoutMs + DEADLINE_GRACE_MS
  const started = Date.now()
  const holdMs = policy.timeoutMs ?? NOT_REACHED_DEADLINE_MS
  let held = 0
  let resent = false
  // Admitted once per counted attempt: tries of a call held while not reached keep their role.
  let role: Role | undefined
  for (let retry = 1; ; retry++) {
    role ??= breaker ? admit(breaker, meta, key, policy) : 'closed'
    let error: unknown
    // Tries that did not reach the function: nothing recorded, nothing counted.
    for (;;) {
      try {
        const result = await attempt(deadlineMs)
        if (breaker && (breaker.failures !== 0 || role === 'probe'))
          record(breaker, role, policy, key, 'ok')
        return result
      }
      catch (thrown) {
        error = thrown
      }
      if (signal?.aborted)
        break
      const known = facts.get(error as object)
      if (known?.brokenConnection && policy.idempotent && !resent) {
        resent = true
        // A moment for the other kept-alive connections that died with this one to be dropped from the pool.
        await sleep(notReachedWait(1), signal).catch((reason) => {
          throw onAbort(reason)
        })
        continue
      }
      if (known?.notReached !== true)
        break
      const wait = notReachedWait(++held)
      if (Date.now() + wait - started >= holdMs || (holdUntil !== undefined && Date.now() + wait >= holdUntil)) {
        (error as Error).message += ` (not reached for ${Date.now() - started} ms)`
        break
      }
      if (held === 1)
        console.warn(`[femto] ${meta.name}: not reached (${(error as Error).message}); trying again for up to ${holdMs} ms`)
      try {
        await sleep(wait, signal)
      }
      catch (reason) {
        throw onAbort(reason)
      }
    }
    const verdict = signal?.aborted ? FINAL : judge(error)
    if (breaker)
      record(breaker, role, policy, key, signal?.aborted ? 'aborted' : verdict.trips ? 'tripped' : 'ok')
    role = undefined
    const retryAfter = facts.get(error as object)?.retryAfterMs
    const stop = !verdict.retry || retry > policy.retries || !(policy.idempotent || verdict.safe)
      ? ''
      : breaker && breaker.openUntil !== 0
        ? `; the circuit breaker for '${key}' opened`
        : retryAfter !== undefined && retryAfter > Math.max(policy.backoffMaxMs, 1_000)
          ? `; the service asked to wait ${retryAfter} ms (Retry-After), more than backoffMaxMs`
          : undefined
    if (stop !== undefined) {
      if (error instanceof Error && (retry > 1 || stop))
        error.message += ` (gave up after ${retry} attempt${retry === 1 ? '' : 's'}${stop})`
      throw error
    }
    // Retry-After as sent, plus a little jitter so that the callers it turned away do not all come back at once.
    const wait = retryAfter !== undefined ? Math.round(retryAfter + Math.random() * policy.backoffMs) : backoff(policy, retry)
    console.warn(`[femto] ${meta.name}: ${(error as FemtoError).code} (${(error as FemtoError).status}); retry ${retry} of ${policy.retries} in ${wait} ms`)
    try {
      await sleep(wait, signal)
    }
    catch (reason) {
      throw onAbort(reason)
    }
  }
}
