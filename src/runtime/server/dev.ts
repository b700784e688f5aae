import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ServedFunction } from './types'
import { removeDeadUploads } from './form'
import { createFunctionTable, pathOf, serveRoute } from './function-table'
import { errorOutcome } from './outcome'
import { sendError } from './respond'

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
  // Like the router, the dev server is where browsers call: `auth` hooks always apply.
  const table = createFunctionTable({ service: 'dev', functions: options.functions, allowedOrigins: options.allowedOrigins, edge: true })
  // As a service does when it starts: uploads a killed dev server or service of this machine left (form.ts).
  void removeDeadUploads()
  return (req, res, next) => {
    const path = pathOf(req)
    const entry = table.lookup(path)
    if (entry)
      return serveRoute(entry, req, res)
    if (path === options.basePath || path.startsWith(`${options.basePath}/`))
      return sendError(req, res, errorOutcome('NOT_FOUND', `no femto function at ${req.method} ${path}; the dev server serves ${table.listing}`))
    next()
  }
}
