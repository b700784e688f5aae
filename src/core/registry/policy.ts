import type { StubPolicy } from '../../runtime/shared/protocol'
import { SERVICE_KEEP_ALIVE_MS, STUB_DEFAULTS } from '../../runtime/shared/protocol'

/** How one function is called and served (docs/reference/policies.md). Every field is optional and falls back to `defaults`. */
export interface FunctionPolicy {
  /**
   * Largest request body a call accepts: bytes, or a string such as `'512kb'` or `'2mb'`.
   * @default '1mb'
   */
  bodyLimit?: number | string
  /**
   * Largest file in a multipart body (a `File`, `Blob`, `Uint8Array` or stream argument): bytes
   * or a size string; over it, 413 `PAYLOAD_TOO_LARGE` as soon as that many bytes of the file
   * arrived. Every file is within `bodyLimit` too, so set `bodyLimit` for large uploads
   * (`bodyLimit: '300mb', fileLimit: '200mb'`). See [files and forms](../guide/files-and-forms.md).
   * @default Infinity (only `bodyLimit`)
   */
  fileLimit?: number | string
  /**
   * The service answers 504 `TIMEOUT` when a call runs longer, and the call's request
   * signal (`getRequestContext().signal`) aborts. The stub gives up on an attempt 250 ms
   * after it. `Infinity` for none.
   * @default 10_000
   */
  timeoutMs?: number
  /**
   * At most this many calls of the function run at once in one service process; one more is
   * answered 503 `OVERLOADED` with `Retry-After`. `Infinity` for no limit.
   * @default Infinity
   */
  concurrency?: number
  /**
   * How many times the stub calls again after a network error, a 502/503/504 or a 429
   * (never after a 4xx or an error the function threw).
   * @default 0
   */
  retries?: number
  /**
   * `false` for functions that must not run twice (charging a card): then only failures that
   * surely did not reach the function are retried (connection refused, 503 `OVERLOADED`, 429).
   * @default true
   */
  idempotent?: boolean
  /**
   * Base of the exponential backoff between retries, with full jitter.
   * @default 100
   */
  backoffMs?: number
  /**
   * Cap of one backoff wait (a `Retry-After` from the service is honoured as sent).
   * @default 2000
   */
  backoffMaxMs?: number
  /**
   * Failures in a row (network errors, 502, 503 other than `OVERLOADED`, 504) after which the
   * stub's circuit breaker for the service opens and calls fail fast with `UNAVAILABLE`.
   * `Infinity` turns the breaker off.
   * @default 5
   */
  breakerFailures?: number
  /**
   * How long an open breaker fails calls fast before one probe call may try the service again.
   * @default 10_000
   */
  breakerResetMs?: number
  /**
   * Deploy only (`deploy` option, `femto deploy`): the fewest replicas of the function's service
   * the HorizontalPodAutoscaler keeps.
   * @default 1
   */
  minReplicas?: number
  /**
   * Deploy only: the most replicas the HorizontalPodAutoscaler scales the service to.
   * Raised to `minReplicas` when lower.
   * @default 3
   */
  maxReplicas?: number
  /**
   * Deploy only: the average CPU use, in percent of `cpu`, that the autoscaler aims at.
   * @default 70
   */
  cpuTarget?: number
  /**
   * Deploy only: CPU requested per replica, in millicores (`100` is `100m`, a tenth of a core).
   * @default 100
   */
  cpu?: number
  /**
   * Deploy only: memory per replica in MiB, requested and the limit.
   * @default 128
   */
  memoryMb?: number
  /**
   * Who may call the function. By default (`'auto'`) it is `'public'` when the app's client
   * code (the browser bundle, or the app's own server-side rendering) imports its module, and
   * `'internal'` otherwise. A public function is routed by the gateways and the Ingress; an
   * internal one is not, and its service answers only calls from other femto services (they
   * carry `FEMTO_TOKEN` and the mark of a call from inside). Set `'public'` for a function only
   * other systems call (a webhook, a cron job outside the cluster), `'internal'` to keep one the
   * page imports off the public surface. See [Security](../guide/security.md#exposure).
   * @default 'auto'
   */
  exposure?: 'auto' | 'public' | 'internal'
}

export interface ResolvedPolicy {
  bodyLimit: number
  fileLimit: number
  timeoutMs: number
  concurrency: number
  retries: number
  idempotent: boolean
  backoffMs: number
  backoffMaxMs: number
  breakerFailures: number
  breakerResetMs: number
  minReplicas: number
  maxReplicas: number
  cpuTarget: number
  cpu: number
  memoryMb: number
  exposure: 'auto' | 'public' | 'internal'
}

export const DEFAULT_POLICY: ResolvedPolicy = {
  bodyLimit: 1024 ** 2,
  fileLimit: Infinity,
  timeoutMs: STUB_DEFAULTS.timeoutMs!,
  concurrency: Infinity,
  retries: STUB_DEFAULTS.retries,
  idempotent: STUB_DEFAULTS.idempotent,
  backoffMs: STUB_DEFAULTS.backoffMs,
  backoffMaxMs: STUB_DEFAULTS.backoffMaxMs,
  breakerFailures: STUB_DEFAULTS.breakerFailures!,
  breakerResetMs: STUB_DEFAULTS.breakerResetMs,
  minReplicas: 1,
  maxReplicas: 3,
  cpuTarget: 70,
  cpu: 100,
  memoryMb: 128,
  exposure: 'auto',
}

type Kind = 'size' | 'positive' | 'finite' | 'count' | 'whole' | 'integer' | 'percent' | 'boolean' | 'exposure'
/**
 * What each key accepts: `positive` > 0 (or Infinity), `finite` > 0 and finite, `whole` a
 * positive integer (or Infinity), `integer` a positive integer, `percent` an integer from 1 to
 * 100, `count` an integer ≥ 0.
 */
const KINDS: Record<keyof ResolvedPolicy, Kind> = {
  bodyLimit: 'size',
  fileLimit: 'size',
  timeoutMs: 'positive',
  concurrency: 'whole',
  retries: 'count',
  idempotent: 'boolean',
  backoffMs: 'finite',
  backoffMaxMs: 'finite',
  breakerFailures: 'whole',
  breakerResetMs: 'finite',
  minReplicas: 'integer',
  maxReplicas: 'integer',
  cpuTarget: 'percent',
  cpu: 'integer',
  memoryMb: 'integer',
  exposure: 'exposure',
}
export const POLICY_KEYS = Object.keys(KINDS) as (keyof ResolvedPolicy)[]

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

export function parseSize(value: number | string, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0)
    return Math.floor(value)
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null
  if (!match)
    throw new Error(`${what}: '${value}' is not a size; use bytes or a string like '512kb' or '1mb'`)
  return Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!)
}

const EXPOSURES = ['auto', 'public', 'internal'] as const

function checkValue(key: keyof ResolvedPolicy, value: unknown, where: string): number | boolean | string {
  const kind = KINDS[key]
  const bad = (what: string): never => {
    throw new Error(`${where}.${key}: '${value}' is not ${what}`)
  }
  switch (kind) {
    case 'size':
      return parseSize(value as number | string, `${where}.${key}`)
    case 'boolean':
      return typeof value === 'boolean' ? value : bad('true or false')
    case 'exposure':
      return (EXPOSURES as readonly unknown[]).includes(value) ? value as string : bad(`'public', 'internal' or 'auto'`)
    case 'count':
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : bad('a whole number of 0 or more')
    case 'whole':
      return typeof value === 'number' && value > 0 && (value === Infinity || Number.isInteger(value)) ? value : bad('a positive whole number (or Infinity)')
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : bad('a positive whole number')
    case 'percent':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 100 ? value : bad('a whole number from 1 to 100')
    case 'positive':
      return typeof value === 'number' && value > 0 ? value : bad('a positive number (or Infinity)')
    case 'finite':
      return typeof value === 'number' && value > 0 && Number.isFinite(value) ? value : bad('a positive number')
  }
}

/** One layer of policy over another; unknown keys and bad values are errors that name where they are. */
export function resolvePolicy(policy: FunctionPolicy | undefined, base: ResolvedPolicy, where: string): ResolvedPolicy {
  const resolved = { ...base }
  for (const [key, value] of Object.entries(policy ?? {})) {
    if (!Object.hasOwn(KINDS, key))
      throw new Error(`${where}.${key}: unknown policy; the policies are ${POLICY_KEYS.join(', ')}`)
    if (value !== undefined)
      (resolved as any)[key] = checkValue(key as keyof ResolvedPolicy, value, where)
  }
  return resolved
}

/**
 * Reads a policy directive written next to the function, after its `'use femto'`:
 * `'femto retries=3 timeoutMs=2000 idempotent=false bodyLimit=2mb'`. Values are numbers,
 * `Infinity`, `true`/`false` or sizes; they are checked like the plugin options.
 */
/** Settings that name a binding in scope of the function rather than a value. */
export interface BindingSettings {
  /** A Standard Schema validator of the named arguments, used instead of the types. */
  schema?: string
  /** A hook deciding whether a call from outside may run. */
  auth?: string
}
const BINDING_KEYS = ['schema', 'auth'] as const

export function parsePolicyDirective(text: string): FunctionPolicy & BindingSettings {
  const policy: Record<string, unknown> = {}
  for (const pair of text.trim().split(/\s+/).slice(1)) {
    const match = /^(\w+)=(\S+)$/.exec(pair)
    if (!match)
      throw new Error(`'${pair}' is not key=value; write e.g. 'femto retries=3 timeoutMs=2000'`)
    const [, key, raw] = match as unknown as [string, string, string]
    if (Object.hasOwn(policy, key))
      throw new Error(`'${key}' is set twice`)
    policy[key] = raw === 'true' ? true : raw === 'false' ? false : raw === 'Infinity' ? Infinity : /^\d+(?:\.\d+)?$/.test(raw) ? Number(raw) : raw
  }
  const rest = { ...policy }
  for (const key of BINDING_KEYS) {
    const value = rest[key]
    delete rest[key]
    if (value !== undefined && (typeof value !== 'string' || !/^[A-Z_$][\w$]*$/i.test(value)))
      throw new Error(`femto.${key}: '${value}' is not the name of a binding; write e.g. 'femto ${key}=${key === 'schema' ? 'chargeArgs' : 'requireUser'}'`)
  }
  resolvePolicy(rest, DEFAULT_POLICY, 'femto')
  return policy as FunctionPolicy & BindingSettings
}

/** `'femto …'`: a policy directive (the prefix alone, or followed by settings). */
export const isPolicyDirective = (text: string): boolean => /^femto(?:\s|$)/.test(text)

const nullIfInfinite = (value: number): number | null => (Number.isFinite(value) ? value : null)

/** The policy as JSON can hold it (manifest, generated code): no limit is `null`, not Infinity. */
/**
 * How long a service waits for in-flight calls after SIGTERM: the longest timeout of its functions
 * (past it they have been answered 504 anyway), plus a second to write the answers; 30 s when
 * one of them has no timeout. Never less than the keep-alive its callers may still send a call on
 * (drain.ts), plus that second. The generated service and the deploy files' grace periods both use it.
 */
export function shutdownBoundMs(timeoutsMs: number[]): number {
  const longest = Math.max(...timeoutsMs, SERVICE_KEEP_ALIVE_MS)
  return Number.isFinite(longest) ? longest + 1_000 : 30_000
}

export type JsonPolicy = Omit<ResolvedPolicy, 'fileLimit' | 'timeoutMs' | 'concurrency' | 'breakerFailures'> & { fileLimit: number | null, timeoutMs: number | null, concurrency: number | null, breakerFailures: number | null }

export function jsonPolicy(policy: ResolvedPolicy): JsonPolicy {
  return { ...policy, fileLimit: nullIfInfinite(policy.fileLimit), timeoutMs: nullIfInfinite(policy.timeoutMs), concurrency: nullIfInfinite(policy.concurrency), breakerFailures: nullIfInfinite(policy.breakerFailures) }
}

/** The caller's part of a policy, only what differs from the stub's built-in defaults, so stubs stay small. */
export function stubPolicyOf(policy: ResolvedPolicy): Partial<StubPolicy> | undefined {
  const json = jsonPolicy(policy)
  const diff: Partial<StubPolicy> = {}
  for (const key of Object.keys(STUB_DEFAULTS) as (keyof StubPolicy)[]) {
    if (json[key] !== STUB_DEFAULTS[key])
      (diff as any)[key] = json[key]
  }
  return Object.keys(diff).length > 0 ? diff : undefined
}
