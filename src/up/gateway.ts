import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { pipeline } from 'node:stream'
import { DOCS_ASSETS, docsPage, sendDocsAsset } from '../runtime/server/docs'
import { carriesToken, FORWARDED_AUTHORIZATION, INTERNAL_HEADER } from '../runtime/server/guard'
import { NOT_REACHED_HEADER } from '../runtime/shared/protocol'
import { createStaticHandler } from './static'

export interface GatewayOptions {
  /** Client build to serve; none: only the functions (and the docs page). */
  staticDir?: string
  /** Folders of `staticDir` never served (the services' bundles). */
  hidden?: string[]
  basePath: string
  /** Function route → origin of the service that hosts it. */
  routes: Map<string, string>
  /** The services' FEMTO_TOKEN, added to the calls it forwards. Default: `FEMTO_TOKEN` of this process. */
  token?: string
  /** The build's servers folder: `openapi.json` and `docs/` are served from it at `/openapi.json` and `/docs`. */
  docsDir?: string
}

const agent = new http.Agent({ keepAlive: true })
/** The docs page's own files; any other `/docs/…` path is the app's. */
const isDocsAsset = (path: string): boolean => path.startsWith('/docs/') && Object.hasOwn(DOCS_ASSETS, path.slice('/docs/'.length))

/** One origin for the browser: the client build, and `{basePath}/{name}` proxied to each service. */
export function createGateway(options: GatewayOptions): Server {
  const serveStatic = options.staticDir === undefined ? undefined : createStaticHandler(options.staticDir, options.hidden ?? [])
  const token = options.token ?? (process.env.FEMTO_TOKEN || undefined)
  // Only a build that wrote the docs page has one (`docs: false` writes none): the app's own /docs then.
  const docsDir = options.docsDir && existsSync(join(options.docsDir, 'docs')) ? options.docsDir : undefined
  const prefix = `${options.basePath}/`
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (path === '/healthz')
      return json(res, 200, { status: 'ok', service: 'gateway' })
    if (path.startsWith(prefix)) {
      const origin = options.routes.get(path)
      if (!origin)
        return json(res, 404, { error: { code: 'NOT_FOUND', message: `no femto function at ${path}` } })
      return proxy(req, res, origin, token)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return json(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'the gateway serves static files with GET' } })
    if (docsDir && (path === '/docs' || path === '/docs/' || path === '/openapi.json' || isDocsAsset(path)))
      return serveDocs(res, docsDir, path).catch(() => json(res, 500, { error: { code: 'INTERNAL_ERROR', message: `could not read ${path}` } }))
    if (!serveStatic)
      return json(res, 404, { error: { code: 'NOT_FOUND', message: `nothing at ${path}` } })
    serveStatic(req, res).catch(() => json(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'could not read the file' } }))
  })
}

/**
 * What a service is told about a call: the host the browser addressed (for its origin check),
 * and, with FEMTO_TOKEN, the token, the browser's own `Authorization` moved aside for its `auth`
 * hook. A call from outside never passes as one from inside (`x-femto-internal`); a service
 * calling another through the gateway (FEMTO_GATEWAY) holds the token and goes through as it is.
 */
function forwardedHeaders(req: IncomingMessage, target: URL, token: string | undefined): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...req.headers, host: target.host }
  if (req.headers.host !== undefined)
    headers['x-forwarded-host'] = req.headers.host
  if (token && carriesToken(req.headers.authorization, token))
    return headers
  delete headers[INTERNAL_HEADER]
  delete headers[FORWARDED_AUTHORIZATION]
  if (token) {
    if (req.headers.authorization !== undefined)
      headers[FORWARDED_AUTHORIZATION] = req.headers.authorization
    headers.authorization = `Bearer ${token}`
  }
  return headers
}

/** Forwards one call to the service at `origin`, as the gateway does (`femto up`, `vite preview`). */
export function proxy(req: IncomingMessage, res: ServerResponse, origin: string, token: string | undefined): void {
  const target = new URL(req.url ?? '/', origin)
  let upstream: http.ClientRequest
  try {
    upstream = http.request(target, { method: req.method, headers: forwardedHeaders(req, target, token), agent }, answered)
  }
  catch (error) {
    // Headers Node refuses to send on (it accepted them from the client): answer, never crash.
    return json(res, 400, { error: { code: 'INVALID_ARGUMENT', message: `the request cannot be forwarded: ${(error as Error).message}` } })
  }
  function answered(answer: IncomingMessage): void {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    // Streams (no content-length) go through as they come, not when Node's buffers fill.
    if (answer.headers['content-length'] === undefined)
      res.flushHeaders()
    // If the service dies mid-answer, the caller's response ends too instead of hanging.
    pipeline(answer, res, () => {})
  }
  upstream.on('error', (error) => {
    // A refused connection never reached the function: the stub may retry even a call that must not run twice.
    if (!res.headersSent && (error as NodeJS.ErrnoException).code === 'ECONNREFUSED')
      res.setHeader(NOT_REACHED_HEADER, '1')
    if (!res.headersSent)
      json(res, 502, { error: { code: 'UNAVAILABLE', message: `the service at ${origin} did not answer: ${error.message}` } })
    else
      res.destroy()
  })
  // A caller that goes away (abort, timeout, a stream it stopped reading) takes the upstream
  // request with it, so that the service sees its request aborted too.
  res.once('close', () => {
    if (!res.writableFinished)
      upstream.destroy()
  })
  req.pipe(upstream)
}

/** The docs page, its assets and the OpenAPI document, as the build wrote them. */
async function serveDocs(res: ServerResponse, dir: string, path: string): Promise<void> {
  if (path === '/openapi.json') {
    const document = await readFile(join(dir, 'openapi.json'))
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': document.length })
    return void res.end(document)
  }
  if (path === '/docs/') {
    res.writeHead(301, { location: '/docs' })
    return void res.end()
  }
  if (path === '/docs') {
    const page = docsPage('femto functions')
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) })
    return void res.end(page)
  }
  await sendDocsAsset(res, join(dir, 'docs'), path.slice('/docs/'.length))
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
