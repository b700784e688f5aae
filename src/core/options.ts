import { isValidServiceName } from './names'

export interface FunctionPolicy {
  /**
   * Largest request body a call accepts: bytes, or a string such as `'512kb'` or `'2mb'`.
   * @default '1mb'
   */
  bodyLimit?: number | string
  /**
   * The service answers 504 `TIMEOUT` when a call runs longer, and the call's request
   * signal (`getRequestContext().signal`) aborts. `Infinity` for none.
   * @default 10_000
   */
  timeoutMs?: number
  /**
   * At most this many calls of the function run at once in one service process; one more is
   * answered 503 `OVERLOADED` with `Retry-After`. `Infinity` for no limit.
   * @default Infinity
   */
  concurrency?: number
}

export interface Options {
  /**
   * Files whose femto functions are services even if no browser code imports them.
   * Functions reached through the module graph are services too.
   * @default ['src/**\/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}']
   */
  include?: string | string[]
  /**
   * Files never scanned or transformed.
   * @default ['**\/node_modules/**', '**\/*.d.ts']
   */
  exclude?: string | string[]
  /**
   * URL prefix of every function: `POST {basePath}/{name}`.
   * @default '/femto'
   */
  basePath?: string
  /**
   * First port of the range the manifest assigns services from (`basePort + 1 … basePort + 4999`,
   * by a hash of the service name, so ports stay put when functions are added).
   * The monolith server takes `basePort` itself.
   * @default 3100
   */
  basePort?: number
  /**
   * `'split'`: one standalone service per function. `'monolith'`: one server with every function.
   * @default 'split'
   */
  mode?: 'split' | 'monolith'
  /**
   * Functions served together by one service (split mode): `{ billing: ['charge', 'refund'] }`
   * builds `billing.js` serving both, and calls between them stay in-process.
   * @default {}
   */
  groups?: Record<string, string[]>
  /**
   * Folder, inside the bundler's output folder, that receives the services.
   * @default 'servers'
   */
  serversDir?: string
  /** Policy for every function, overridden per function by `functions`. */
  defaults?: FunctionPolicy
  /** Policy per function name. */
  functions?: Record<string, FunctionPolicy>
  /**
   * Print the table of services after each build.
   * @default true
   */
  summary?: boolean
}

export interface ResolvedPolicy {
  bodyLimit: number
  timeoutMs: number
  concurrency: number
}

export interface ResolvedOptions {
  include: string[]
  exclude: string[]
  basePath: string
  basePort: number
  mode: 'split' | 'monolith'
  groups: Record<string, string[]>
  serversDir: string
  defaults: ResolvedPolicy
  functions: Record<string, ResolvedPolicy>
  summary: boolean
  /** The policy of one function: its own settings over the defaults. */
  policyOf: (name: string) => ResolvedPolicy
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

export function parseSize(value: number | string, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0)
    return Math.floor(value)
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null
  if (!match)
    throw new Error(`[unplugin-femto] ${what}: '${value}' is not a size; use bytes or a string like '512kb' or '1mb'`)
  return Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!)
}

const toArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value])

function resolvePolicy(policy: FunctionPolicy, base: ResolvedPolicy, where: string): ResolvedPolicy {
  const positive = (value: number | undefined, fallback: number, key: string, integer: boolean): number => {
    if (value === undefined)
      return fallback
    if (typeof value !== 'number' || !(value > 0) || (integer && value !== Infinity && !Number.isInteger(value)))
      throw new Error(`[unplugin-femto] ${where}.${key}: '${value}' is not a positive ${integer ? 'whole ' : ''}number (or Infinity)`)
    return value
  }
  return {
    bodyLimit: policy.bodyLimit === undefined ? base.bodyLimit : parseSize(policy.bodyLimit, `${where}.bodyLimit`),
    timeoutMs: positive(policy.timeoutMs, base.timeoutMs, 'timeoutMs', false),
    concurrency: positive(policy.concurrency, base.concurrency, 'concurrency', true),
  }
}

function resolveGroups(groups: Record<string, string[]>): Record<string, string[]> {
  const owner = new Map<string, string>()
  for (const [group, members] of Object.entries(groups)) {
    if (!isValidServiceName(group))
      throw new Error(`[unplugin-femto] groups.${group}: a group name becomes a file name, a port and FEMTO_URL_<NAME>, so it must be an ASCII identifier other than router and monolith`)
    if (!Array.isArray(members) || members.length === 0)
      throw new Error(`[unplugin-femto] groups.${group}: list the functions it serves, e.g. { ${group}: ['charge', 'refund'] }`)
    for (const member of members) {
      const other = owner.get(member)
      if (other)
        throw new Error(`[unplugin-femto] groups: '${member}' is in both '${other}' and '${group}'; a function is served by one service`)
      owner.set(member, group)
    }
  }
  return groups
}

export function resolveOptions(options: Options = {}): ResolvedOptions {
  const basePath = `/${(options.basePath ?? '/femto').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  if (basePath === '')
    throw new Error(`[unplugin-femto] basePath: '${options.basePath}' would put functions beside the app's own pages; use a prefix such as '/femto' or '/api'`)
  const basePort = options.basePort ?? 3100
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65535 - 5000)
    throw new Error(`[unplugin-femto] basePort: ${basePort} leaves no room for 4999 service ports below 65536`)
  const mode = options.mode ?? 'split'
  if (mode !== 'split' && mode !== 'monolith')
    throw new Error(`[unplugin-femto] mode: '${mode}' is not 'split' or 'monolith'`)
  const defaults = resolvePolicy(options.defaults ?? {}, { bodyLimit: 1024 ** 2, timeoutMs: 10_000, concurrency: Infinity }, 'defaults')
  const functions: Record<string, ResolvedPolicy> = {}
  for (const [name, policy] of Object.entries(options.functions ?? {}))
    functions[name] = resolvePolicy(policy, defaults, `functions.${name}`)
  return {
    include: toArray(options.include ?? 'src/**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'),
    exclude: toArray(options.exclude ?? ['**/node_modules/**', '**/*.d.ts']),
    basePath,
    basePort,
    mode,
    groups: resolveGroups(options.groups ?? {}),
    serversDir: options.serversDir ?? 'servers',
    defaults,
    functions,
    summary: options.summary ?? true,
    policyOf: name => functions[name] ?? defaults,
  }
}
