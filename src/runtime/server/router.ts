import type { NextFunction, Request, Response, Router } from 'express'
import type { ServedFunction } from './types'
import { fileURLToPath } from 'node:url'
import express from 'express'
import { docsPage, documentAt, sendDocsAsset } from './docs'
import { createFunctionTable, serveRoute } from './function-table'
import { carriesToken } from './guard'
import { METRICS_CONTENT_TYPE } from './metrics'
import { metrics } from './observe'
import { errorOutcome } from './outcome'
import { requestIdOf } from './request-id'
import { send, sendError } from './respond'

export interface RouterOptions {
  basePath: string
  functions: ServedFunction[]
  /** The OpenAPI document of every function, at `GET /openapi.json` (with the mount path as its server). */
  openapi?: Record<string, unknown>
  /** Where the build copied the docs page's assets; the page is at `GET /docs`. */
  docsDir?: URL
  /** Origins other than the app's own that browsers may call from. */
  allowedOrigins?: string[]
}

/**
 * Every femto function as one Express 5 router ("monolith mode"): `app.use(router)`.
 * Express is only the adapter here; each call runs the same request path as a service.
 */
export function createRouter(options: RouterOptions): Router {
  const router = express.Router()
  // Mounted in the app, the router is the edge: browsers call it, `auth` hooks always apply.
  const table = createFunctionTable({ service: 'router', functions: options.functions, allowedOrigins: options.allowedOrigins, edge: true })
  // Express's own route matching, one route per function, as an app's routes are matched.
  for (const entry of table.entries) {
    router.all(entry.fn.route, (req: Request, res: Response) => {
      // An app-level `express.json()` may have consumed the stream already: use what it parsed.
      serveRoute(entry, req, res, req.readableEnded ? { body: req.body ?? [] } : undefined)
    })
  }
  router.all(`${options.basePath}/{*rest}`, (req: Request, res: Response) => {
    sendError(req, res, errorOutcome('NOT_FOUND', `no femto function at ${req.method} ${req.path}`))
  })
  router.get('/metrics', (req: Request, res: Response) => {
    // Mounted on the app's public origin: only with the services' token, when there is one.
    const token = process.env.FEMTO_TOKEN
    if (token && !carriesToken(req.headers.authorization, token))
      return sendError(req, res, errorOutcome('UNAUTHORIZED', 'GET /metrics requires Authorization: Bearer <FEMTO_TOKEN>'))
    res.type(METRICS_CONTENT_TYPE).send(metrics.render())
  })
  router.get(['/healthz', '/readyz'], (req: Request, res: Response) => {
    send(res, { status: 200, value: { status: 'ok', service: 'router' } }, requestIdOf(req))
  })
  const { openapi, docsDir } = options
  if (openapi) {
    router.get('/openapi.json', (req: Request, res: Response) => {
      res.type('application/json').send(documentAt(openapi, req.baseUrl))
    })
  }
  if (openapi && docsDir) {
    router.get('/docs', (req: Request, res: Response) => {
      // The page's URLs are relative to `…/docs`: from `…/docs/` they would miss.
      if (req.originalUrl.split('?')[0]!.endsWith('/'))
        return res.redirect(301, `${req.baseUrl}/docs`)
      res.type('html').send(docsPage('femto functions'))
    })
    router.get('/docs/:asset', (req: Request, res: Response, next: NextFunction) => {
      sendDocsAsset(res, fileURLToPath(docsDir), String(req.params.asset)).then(sent => sent || next(), next)
    })
  }
  return router
}
