import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Server as NetServer } from 'node:net'
import type { ServedFunction } from './types'
import { createServer } from 'node:http'
import { letGoOfIdleConnections } from '../client/not-reached'
import { SERVICE_KEEP_ALIVE_MS } from '../shared/protocol'
import { afterQueuedConnections, closeAfterEachAnswer, stopAccepting } from './drain'
import { femtoRuntimeEnv } from './env'
import { removeDeadUploads } from './form'
import { createFunctionTable, pathOf, serveRoute } from './function-table'
import { checkToken } from './guard'
import { exitCannotListen, reportListening, reportStoppedListening, stopWithParent } from './listening'
import { listenLocalSocket, LOCAL_SOCKET_DIR_ENV } from './local-socket'
import { METRICS_CONTENT_TYPE } from './metrics'
import { flushObservations, metrics } from './observe'
import { errorOutcome } from './outcome'
import { cannotListenLine, listenAddress } from './port'
import { requestIdOf } from './request-id'
import { send, sendError } from './respond'
import { describeThrown, handleStrayErrors } from './thrown'
import { requireToken } from './token-required'

export interface ServiceOptions {
  /** Service name: the function's, or a group's. */
  service: string
  /** Port from the manifest; `PORT` overrides it. */
  port: number
  functions: ServedFunction[]
  /** Origins other than the service's own that browsers may call from. */
  allowedOrigins?: string[]
  /** This service's OpenAPI document (JSON text), answered at `GET /openapi.json`. */
  openapi?: string
  /** How long in-flight calls may take to finish after SIGTERM: the longest `timeoutMs`, plus a second. */
  shutdownTimeoutMs?: number
}

/**
 * A standalone femtoservice on bare `node:http`: its request path is the hot path that the
 * benchmarks measure, so routing is one map lookup and nothing else is in the way.
 */
export function startService(options: ServiceOptions): Server {
  // Production without FEMTO_TOKEN: exit 1 saying why, unless FEMTO_ALLOW_NO_TOKEN=1 (token-required.ts).
  requireToken(options.service)
  const table = createFunctionTable(options)
  const { guard, logger } = table
  // A service of one function answers its calls at `/` too.
  const only = table.entries.length === 1 ? table.entries[0] : undefined
  let draining = false

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const path = pathOf(req)
    const entry = table.lookup(path) ?? (path === '/' ? only : undefined)
    if (entry)
      return serveRoute(entry, req, res)
    if (path === '/openapi.json' && options.openapi && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(options.openapi) })
      res.end(req.method === 'GET' ? options.openapi : undefined)
      return
    }
    if (path === '/metrics' && req.method === 'GET') {
      const refused = checkToken(guard, req)
      if (refused)
        return sendError(req, res, refused)
      const text = metrics.render()
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    if ((path === '/healthz' || path === '/readyz') && (req.method === 'GET' || req.method === 'HEAD')) {
      const ready = path === '/healthz' || !draining
      // The pid tells a process manager (femto up) that the process answering is the one it started.
      send(res, { status: ready ? 200 : 503, value: { status: ready ? 'ok' : 'draining', service: options.service, pid: process.pid } }, requestIdOf(req))
      return
    }
    sendError(req, res, errorOutcome('NOT_FOUND', `no femto function at ${req.method} ${path}; this service serves ${table.listing}`))
  }

  // Slow clients are bounded: headers within 10 s, the whole request within 30 s (slow-loris).
  const server = createServer({ keepAliveTimeout: SERVICE_KEEP_ALIVE_MS, headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 }, onRequest)
  let address: ReturnType<typeof listenAddress>
  try {
    address = listenAddress(options.service, options.port)
  }
  catch (error) {
    exitCannotListen(options.port, 'ERR_SOCKET_BAD_PORT', (error as Error).message)
    return server
  }
  let listening = false
  /** femto up's Unix socket for this service (local-socket.ts), when it asked for one. */
  let local: NetServer | undefined
  // A listener that fails (port taken, not allowed, no such address) is a service that cannot do
  // its job: one line saying which setting to change, and exit 1, never a log line and exit 0.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (!listening)
      return exitCannotListen(address.port, error.code ?? 'ERR_LISTEN', cannotListenLine(options.service, address, error))
    logger.log('error', 'server error', { error: describeThrown(error) })
  })
  server.listen(address.port, address.host, () => {
    listening = true
    const bound = server.address()
    const actual = typeof bound === 'object' && bound ? bound.port : address.port
    const ready = (socket?: string): void => {
      console.log(`[femto] ${options.service} listening on http://${address.host}:${actual} (${table.listing})`)
      reportListening(actual, socket)
    }
    const socketDir = femtoRuntimeEnv[LOCAL_SOCKET_DIR_ENV]
    if (socketDir && process.send && !draining) {
      listenLocalSocket(server, socketDir, actual, (path, listener) => {
        local = listener
        ready(path)
      })
    }
    else {
      ready()
    }
    // Uploads left on disk by a service of this machine that was killed mid-call (form.ts): a
    // moment after start-up, which the modules this loads (node:os, node:fs/promises) would delay.
    setTimeout(() => void removeDeadUploads(), 1000).unref()
  })

  // Read through thrown.ts: a throwing Error.prepareStackTrace would otherwise make a handler throw and end the process.
  handleStrayErrors(options.service, logger, () => listening)
  process.on('exit', () => logger.flush())

  // SIGTERM: /readyz answers 503 at once; after FEMTO_DRAIN_DELAY_MS (default 0, for load
  // balancers that need time to notice) the listener closes, so new connections are refused,
  // and the process exits 0 once in-flight calls are answered and callers have let go of their
  // kept-alive connections (drain.ts says why they are not closed under them), or after the
  // longest timeout.
  const shutdown = (why: string): void => {
    if (draining)
      return
    draining = true
    closeAfterEachAnswer(server)
    // The services this one called wait for it to let go of its idle connections before they exit.
    letGoOfIdleConnections()
    const delay = Math.max(0, Number(process.env.FEMTO_DRAIN_DELAY_MS) || 0)
    const limit = options.shutdownTimeoutMs ?? 10_000
    console.log(`[femto] ${options.service} ${why}: /readyz answers 503${delay > 0 ? `, new connections refused in ${delay} ms` : ', new connections refused'}; finishing in-flight calls (at most ${limit} ms)`)
    // Buffered logs and spans go out first, but a slow collector cannot hold the exit past a second.
    const exit = (): void => {
      void Promise.race([flushObservations(), new Promise(resolve => setTimeout(resolve, 1_000))]).finally(() => process.exit(0))
    }
    // Both listeners stop at once; the process exits when the calls on either are done.
    const close = (): void => {
      let open = local ? 2 : 1
      const closed = (): void => void (--open === 0 && exit())
      stopAccepting(server, closed)
      local?.close(closed)
      reportStoppedListening()
    }
    if (delay > 0)
      setTimeout(afterQueuedConnections, delay, server, close)
    else
      afterQueuedConnections(server, close)
    setTimeout(() => {
      console.log(`[femto] ${options.service}: calls still running after ${limit} ms; closing their connections`)
      server.closeAllConnections()
      exit()
    }, delay + limit).unref()
  }
  process.once('SIGTERM', () => shutdown('received SIGTERM'))
  process.once('SIGINT', () => shutdown('received SIGINT'))
  // Started by femto up (or the testing helper, vite preview) and that process is gone: drain and exit as for SIGTERM.
  stopWithParent(() => shutdown('lost the process that started it'))
  return server
}
