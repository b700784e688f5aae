import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Guard } from './guard'
import type { Logger } from './log'
import type { FunctionMetrics } from './metrics'
import type { ServedFunction } from './types'
import { serviceUrlVariable } from '../shared/service-env'
import { createGuard, isPreflight, preflight } from './guard'
import { handleCall } from './handle'
import { metrics, startObserving } from './observe'
import { errorOutcome } from './outcome'
import { sendError } from './respond'

/** One served function, with what this process keeps for it. */
export interface FunctionEntry {
  readonly fn: ServedFunction
  readonly guard: Guard
  /** Its series in the process's metrics. */
  readonly metrics: FunctionMetrics
  /** Calls of it running now (counted only when `fn.concurrency` is set). */
  active: number
  /**
   * `FEMTO_URL_<SERVICE>` of the service serving it: `…__<contract>` is where its previous
   * version serving that contract runs (version skew, skew-forward.ts). Undefined in a router.
   */
  readonly previousEnv: string | undefined
}

export interface TableOptions {
  /** The name logs, metrics and spans carry: a service's, or `router`, or `dev`. */
  service: string
  functions: ServedFunction[]
  /** Origins other than the host's own that browsers may call from. */
  allowedOrigins?: string[]
  /** Browsers call it directly (the Express router, the dev server): no token, `auth` hooks always apply. */
  edge?: boolean
}

/**
 * The functions a process serves, by route: the one table the standalone service, `router.js`
 * and the dev server dispatch through, so that guard, metrics and observation are set up once.
 */
export interface FunctionTable {
  readonly entries: FunctionEntry[]
  readonly guard: Guard
  readonly logger: Logger
  /** `POST /femto/a, POST /femto/b`: what a 404 and the start-up line say is served. */
  readonly listing: string
  /** The entry at a path (without its query), or undefined. */
  lookup: (path: string) => FunctionEntry | undefined
}

export function createFunctionTable(options: TableOptions): FunctionTable {
  const guard = createGuard(options.allowedOrigins, options.edge)
  const logger = startObserving(options.service)
  const previousEnv = options.edge ? undefined : serviceUrlVariable(options.service)
  const entries = options.functions.map((fn): FunctionEntry => ({ fn, guard, metrics: metrics.forFunction(fn.name, fn.contract), active: 0, previousEnv }))
  const routes = new Map(entries.map(entry => [entry.fn.route, entry]))
  return {
    entries,
    guard,
    logger,
    listing: Array.from(routes.keys(), route => `POST ${route}`).join(', '),
    lookup: path => routes.get(path),
  }
}

/** The path of a request's URL, without its query. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

const METHOD_NOT_ALLOWED = errorOutcome('METHOD_NOT_ALLOWED', 'femto functions are called with POST', { allow: 'POST' })

/** A request to a function's route: a call, a CORS preflight, or the wrong method. */
export function serveRoute(entry: FunctionEntry, req: IncomingMessage, res: ServerResponse, parsed?: { body: unknown }): void {
  if (req.method === 'POST')
    handleCall(entry, req, res, parsed)
  else if (isPreflight(req))
    preflight(entry.guard, req, res)
  else
    sendError(req, res, METHOD_NOT_ALLOWED)
}
