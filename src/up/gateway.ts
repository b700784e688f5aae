import type { Server, ServerResponse } from 'node:http'
import type { HoldOptions } from './proxy'
import type { OpenApiDocument } from './public-document'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { DOCS_ASSETS, docsPage, sendDocsAsset } from '../runtime/server/docs'
import { json, loadUpstreamClient, proxy } from './proxy'
import { publicDocument } from './public-document'
import { createStaticHandler } from './static'

export { proxy }

export interface GatewayOptions {
  /** Client build to serve; none: only the functions (and the docs page). */
  staticDir?: string
  /** Folders of `staticDir` never served (the services' bundles). */
  hidden?: string[]
  basePath: string
  /** Function route → origin of the service that hosts it. */
  routes: Map<string, string>
  /**
   * Function route → contract → origin of a previous version still served: a call carrying that
   * contract in `x-femto-contract` goes there ([Version skew](../../docs/guide/version-skew.md)).
   */
  previous?: Map<string, Map<string, string>>
  /** The services' FEMTO_TOKEN, added to the calls it forwards. Default: `FEMTO_TOKEN` of this process. */
  token?: string
  /** The build's servers folder: `openapi.json` and `docs/` are served from it at `/openapi.json` and `/docs`. */
  docsDir?: string
  /**
   * Routes of functions that may run twice (their policy's `idempotent`): a call whose connection
   * broke before any answer is sent once more. Default: none.
   */
  idempotent?: Set<string>
  /** How a call is held while its service restarts ([calls that never reached the function](../../docs/guide/calling-and-errors.md)). */
  hold?: HoldOptions
  /**
   * A call to a route no one reaches through the gateway (an internal function's): still a plain
   * 404 to the caller, who need not learn it exists; this tells the person running it why.
   */
  unrouted?: (path: string) => void
}

/** The current version's origin, unless the call carries a previous contract still served. */
export function routeByContract(options: Pick<GatewayOptions, 'routes' | 'previous'>, path: string, contract: string | string[] | undefined): string | undefined {
  const previous = typeof contract === 'string' ? options.previous?.get(path)?.get(contract) : undefined
  return previous ?? options.routes.get(path)
}

/** The docs page's own files; any other `/docs/…` path is the app's. */
const isDocsAsset = (path: string): boolean => path.startsWith('/docs/') && Object.hasOwn(DOCS_ASSETS, path.slice('/docs/'.length))

/** One origin for the browser: the client build, and `{basePath}/{name}` proxied to each service. */
export function createGateway(options: GatewayOptions): Server {
  const serveStatic = options.staticDir === undefined ? undefined : createStaticHandler(options.staticDir, options.hidden ?? [])
  const token = options.token ?? (process.env.FEMTO_TOKEN || undefined)
  // Only a build that wrote the docs page has one (`docs: false` writes none): the app's own /docs then.
  const docsDir = options.docsDir && existsSync(join(options.docsDir, 'docs')) ? options.docsDir : undefined
  const prefix = `${options.basePath}/`
  // Loaded while the services start, so that the first call does not wait for it (a failure is each call's 502).
  loadUpstreamClient().catch(() => {})
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (path === '/healthz')
      return json(res, 200, { status: 'ok', service: 'gateway' })
    if (path.startsWith(prefix)) {
      const origin = routeByContract(options, path, req.headers['x-femto-contract'])
      if (!origin) {
        options.unrouted?.(path)
        return json(res, 404, { error: { code: 'NOT_FOUND', message: `no femto function at ${path}` } })
      }
      return proxy(req, res, origin, token, options.hold, options.idempotent?.has(path))
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return json(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'the gateway serves static files with GET' } })
    if (docsDir && (path === '/docs' || path === '/docs/' || path === '/openapi.json' || isDocsAsset(path)))
      return serveDocs(res, docsDir, path, route => options.routes.has(route)).catch(() => json(res, 500, { error: { code: 'INTERNAL_ERROR', message: `could not read ${path}` } }))
    if (!serveStatic)
      return json(res, 404, { error: { code: 'NOT_FOUND', message: `nothing at ${path}` } })
    serveStatic(req, res).catch(() => json(res, 500, { error: { code: 'INTERNAL_ERROR', message: 'could not read the file' } }))
  })
}

/** The docs page, its assets and the OpenAPI document of the functions it routes. */
async function serveDocs(res: ServerResponse, dir: string, path: string, routed: (path: string) => boolean): Promise<void> {
  if (path === '/openapi.json') {
    const document = Buffer.from(JSON.stringify(publicDocument(JSON.parse(await readFile(join(dir, 'openapi.json'), 'utf8')) as OpenApiDocument, routed)))
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
