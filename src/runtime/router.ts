import type { Request, Response, Router } from 'express'
import type { ServedFunction } from './server/types'
import express from 'express'
import { errorOutcome, handleCall, requestIdOf, send, sendError } from './server/handle'

export interface RouterOptions {
  basePath: string
  functions: ServedFunction[]
}

/**
 * Every femto function as one Express 5 router ("monolith mode"): `app.use(router)`.
 * Express is only the adapter here; each call runs the same request path as a service.
 */
export function createRouter(options: RouterOptions): Router {
  const router = express.Router()
  for (const fn of options.functions) {
    router.all(fn.route, (req: Request, res: Response) => {
      if (req.method !== 'POST')
        return sendError(req, res, errorOutcome('METHOD_NOT_ALLOWED', 'femto functions are called with POST', { allow: 'POST' }))
      // An app-level `express.json()` may have consumed the stream already: use what it parsed.
      const parsed = req.readableEnded ? { body: req.body ?? [] } : undefined
      handleCall(fn, req, res, parsed)
    })
  }
  router.all(`${options.basePath}/{*rest}`, (req: Request, res: Response) => {
    sendError(req, res, errorOutcome('NOT_FOUND', `no femto function at ${req.method} ${req.path}`))
  })
  router.get(['/healthz', '/readyz'], (req: Request, res: Response) => {
    send(res, { status: 200, value: { status: 'ok', service: 'router' } }, requestIdOf(req))
  })
  return router
}
