import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { ServedFunction } from './types'
import { createServer } from 'node:http'
import { errorOutcome, handleCall, requestIdOf, send, sendError } from './handle'

export interface ServiceOptions {
  /** Service name: the function's, or a group's. */
  service: string
  /** Port from the manifest; `PORT` overrides it. */
  port: number
  functions: ServedFunction[]
  /** How long in-flight calls may take to finish after SIGTERM. */
  shutdownTimeoutMs?: number
}

const METHOD_NOT_ALLOWED = errorOutcome('METHOD_NOT_ALLOWED', 'femto functions are called with POST', { allow: 'POST' })

/**
 * A standalone femtoservice on bare `node:http`: its request path is the hot path that the
 * benchmarks measure, so routing is one map lookup and nothing else is in the way.
 */
export function startService(options: ServiceOptions): Server {
  const routes = new Map(options.functions.map(f => [f.route, f]))
  const only = options.functions.length === 1 ? options.functions[0] : undefined
  let draining = false

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const fn = routes.get(path) ?? (path === '/' ? only : undefined)
    if (draining)
      res.shouldKeepAlive = false
    if (fn) {
      if (req.method === 'POST')
        handleCall(fn, req, res)
      else
        sendError(req, res, METHOD_NOT_ALLOWED)
      return
    }
    if ((path === '/healthz' || path === '/readyz') && (req.method === 'GET' || req.method === 'HEAD')) {
      const ready = path === '/healthz' || !draining
      send(res, { status: ready ? 200 : 503, value: { status: ready ? 'ok' : 'draining', service: options.service } }, requestIdOf(req))
      return
    }
    sendError(req, res, errorOutcome('NOT_FOUND', `no femto function at ${req.method} ${path}; this service serves ${Array.from(routes.keys(), r => `POST ${r}`).join(', ')}`))
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, onRequest)
  const port = process.env.PORT ? Number(process.env.PORT) : options.port
  const host = process.env.HOST || '0.0.0.0'
  server.listen(port, host, () => {
    const address = server.address()
    const actual = typeof address === 'object' && address ? address.port : port
    console.log(`[femto] ${options.service} listening on http://${host}:${actual} (${Array.from(routes.keys(), r => `POST ${r}`).join(', ')})`)
  })

  // A service stops for a signal and nothing else: stray async errors are logged, not fatal.
  process.on('uncaughtException', error => console.error(`[femto] ${options.service}: uncaught exception`, error))
  process.on('unhandledRejection', error => console.error(`[femto] ${options.service}: unhandled rejection`, error))

  const shutdown = (signal: string): void => {
    if (draining)
      return
    draining = true
    console.log(`[femto] ${options.service} received ${signal}: finishing in-flight calls`)
    server.close(() => process.exit(0))
    // Connections of in-flight calls turn idle when their answer is sent: close each as it does,
    // rather than tracking every response on the hot path.
    server.closeIdleConnections()
    setInterval(() => server.closeIdleConnections(), 25).unref()
    setTimeout(() => {
      server.closeAllConnections()
      process.exit(0)
    }, options.shutdownTimeoutMs ?? 10_000).unref()
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
  return server
}
