/** What the stub and the services agree on. Shared by both sides, so it stays tiny. */

export const JSON_TYPE = 'application/json; charset=utf-8'

/** Set by a gateway whose service refused the connection: the call surely did not run. */
export const NOT_REACHED_HEADER = 'x-femto-not-reached'

/**
 * How long a service keeps an idle connection open (`keep-alive: timeout=5`). Its callers let go
 * of one sooner (IDLE_CONNECTION_MS), and a stopping service waits at least this long for them.
 */
export const SERVICE_KEEP_ALIVE_MS = 5_000

/** Error codes of the wire (SPEC §4) and the HTTP status each one travels with. */
export const ERROR_STATUS = {
  INVALID_JSON: 400,
  /** A body in the rich encoding that does not decode. */
  INVALID_ENCODING: 400,
  INVALID_ARGUMENT: 400,
  /** FEMTO_TOKEN is set and the call does not carry it as `Authorization: Bearer`. */
  UNAUTHORIZED: 401,
  /** A browser call from an origin not allowed, or refused by the function's `auth` hook. */
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** The result has no plain JSON form (NaN, ±Infinity, an invalid Date): the rich encoding carries it. */
  NOT_ACCEPTABLE: 406,
  PAYLOAD_TOO_LARGE: 413,
  /** The caller was built against another contract of the function: reload. */
  STALE_CLIENT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL_ERROR: 500,
  /** More calls at once than the function's `concurrency`; the answer carries Retry-After. */
  OVERLOADED: 503,
  /** Client side only: the caller aborted the call (`withOptions(fn, { signal })`). */
  ABORTED: 499,
  /** The call ran past the function's `timeoutMs` (service) or `withOptions(fn, { timeoutMs })` (stub). */
  TIMEOUT: 504,
  /** Client side only: the service answered something that is not the wire format. */
  BAD_RESPONSE: 502,
  /** Client side only: the service could not be reached. */
  UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

/** The body of every error response: `{"error":{…}}`. */
export interface ErrorPayload {
  code: string
  message: string
  /** `name` of the thrown error (for status 500). */
  name?: string
  /** Own enumerable properties of the thrown error, other than code/name/message. */
  data?: Record<string, unknown>
  /** Only when the service runs with NODE_ENV=development. */
  stack?: string
  requestId?: string
}

/** Static facts a generated stub passes along with the arguments. */
export interface StubMeta {
  name: string
  route: string
  /** Service-to-service stubs only: the manifest port and env var that locate the callee. */
  port?: number
  env?: string
  /** Hash of the function's signature when the stub was built: a changed service answers 409. */
  contract?: string
  /** An `async function*`: the stub returns an `AsyncIterable`. */
  stream?: boolean
  /** The service that hosts it, where that is a group: the circuit breaker is kept per service. */
  service?: string
  /** How the stub handles failures; only what differs from {@link STUB_DEFAULTS}. */
  policy?: Partial<StubPolicy>
}

/** The caller's side of a function's policy (SPEC §7). `null` is "no limit" (JSON has no Infinity). */
export interface StubPolicy {
  /** Attempts after the first: network errors, 502/503/504 and 429 only. */
  retries: number
  /** `false`: retried only when the call surely did not reach the function. */
  idempotent: boolean
  /** The service's timeout; the stub gives up on an attempt a little after it. */
  timeoutMs: number | null
  /** Full-jitter exponential backoff: attempt n waits a random time below min(backoffMaxMs, backoffMs × 2^(n-1)). */
  backoffMs: number
  backoffMaxMs: number
  /** Failures in a row that open the circuit breaker of the target service. */
  breakerFailures: number | null
  /** How long an open breaker fails calls fast before letting one probe through. */
  breakerResetMs: number
}

export const STUB_DEFAULTS: StubPolicy = {
  retries: 0,
  idempotent: true,
  timeoutMs: 10_000,
  backoffMs: 100,
  backoffMaxMs: 2_000,
  breakerFailures: 5,
  breakerResetMs: 10_000,
}
