import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServedFunction } from './types'
import { createGuard } from './guard'
import { errorOutcome, sendError } from './handle'
import { serveRoute } from './http'
import { metrics, startObserving } from './observe'

export interface DevHandlerOptions {
  basePath: string
  functions: ServedFunction[]
  allowedOrigins?: string[]
}

/** A connect middleware: what the dev server does with a request under `basePath`. */
export type DevHandler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void

/**
 * Every femto function behind Vite's dev server, in its process: the same request path as a
 * service (checks, limits, errors, logs), with every call between functions in-process.
 */
export function createDevHandler(options: DevHandlerOptions): DevHandler {
  const routes = new Map(options.functions.map(f => [f.route, f]))
  // Like the router, the dev server is where browsers call: `auth` hooks always apply.
  const guard = createGuard(options.allowedOrigins, true)
  startObserving('dev')
  for (const fn of options.functions)
    fn.metrics = metrics.forFunction(fn.name)
  return (req, res, next) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const fn = routes.get(path)
    if (fn)
      return serveRoute(fn, req, res, guard)
    if (path === options.basePath || path.startsWith(`${options.basePath}/`)) {
      sendError(req, res, errorOutcome('NOT_FOUND', `no femto function at ${req.method} ${path}; the dev server serves ${Array.from(routes.keys(), r => `POST ${r}`).join(', ')}`))
      return
    }
    next()
  }
}
