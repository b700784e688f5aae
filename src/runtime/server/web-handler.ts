import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorCode } from '../shared/protocol'
import type { FunctionTable } from './function-table'
import type { ServedFunction } from './types'
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { neverReached } from '../client/not-reached'
import { ERROR_STATUS, JSON_TYPE, NOT_REACHED_HEADER } from '../shared/protocol'
import { serviceUrlVariable } from '../shared/service-env'
import { createFunctionTable, serveRoute } from './function-table'
import { asCallFromOutside } from './guard'
import { errorOutcome } from './outcome'
import { sendError } from './respond'

/** A Web-standard handler: answers `{basePath}/*`, and `undefined` for any other request. */
export type FemtoHandler = (request: Request) => Promise<Response | undefined>

export interface FemtoHandlerOptions {
  /**
   * `proxy`: each call goes to the service that hosts its function, at `FEMTO_URL_<SERVICE>`,
   * as the `femto up` gateway forwards it. `in-process`: the functions run in this process, from the
   * build's `router.js` (or `functions`), as the Express router runs them. Default:
   * `FEMTO_HANDLER_MODE`, else `proxy`, so that one build runs either way.
   */
  mode?: 'proxy' | 'in-process'
  /**
   * The build's `femto.json` (`router.js` is beside it), read once, at the first call. Default:
   * `FEMTO_MANIFEST`, else `dist/servers/femto.json`, from the working directory.
   */
  manifest?: string
  /** Default: the build's (`femto.json`), else `/femto`. */
  basePath?: string
  /** proxy: the services' token, added to every call. Default: `FEMTO_TOKEN`. */
  token?: string
  /** proxy: route → origin of its service, instead of `femto.json` and `FEMTO_URL_*`. */
  routes?: Record<string, string>
  /** in-process: the functions to serve, instead of those of `router.js`. */
  functions?: ServedFunction[]
  /** in-process: origins other than the app's own that browsers may call from. */
  allowedOrigins?: string[]
}

/** What a handler needs of a build, found once, at its first call. */
interface Target {
  basePath: string
  answer: (request: Request, path: string) => Promise<Response>
}

/**
 * `{basePath}/*` for any framework whose server speaks Request/Response: SvelteKit's `handle`,
 * React Router's server entry, Astro middleware, Hono, h3. Errors are the wire's
 * (`{"error":{"code","message"}}`); a streamed result streams.
 */
export function createFemtoHandler(options: FemtoHandlerOptions = {}): FemtoHandler {
  let target: Target | Promise<Target> | undefined
  // The common case, a request that is not a call, costs a string comparison once the build is known.
  let prefix = options.basePath === undefined ? undefined : `${options.basePath}/`
  // Until the build is read (`vite dev` has none), only this path is the handler's: pages still render.
  const fallback = prefix ?? '/femto/'
  let failed = false
  return async (request) => {
    const path = pathOfUrl(request.url)
    if (prefix !== undefined && !under(path, prefix))
      return undefined
    if (failed && !under(path, fallback))
      return undefined
    let known: Target
    try {
      target ??= load(options)
      known = target instanceof Promise ? (target = await target) : target
    }
    catch (error) {
      // Read again at the next call: the build may be there by then.
      target = undefined
      failed = true
      return under(path, fallback) ? wireError('INTERNAL_ERROR', `unplugin-femto/handler: ${(error as Error).message}`) : undefined
    }
    failed = false
    prefix = `${known.basePath}/`
    if (!under(path, prefix))
      return undefined
    try {
      return await known.answer(request, path)
    }
    catch (error) {
      // One call's failure: the build stays loaded for the next.
      return wireError('INTERNAL_ERROR', `unplugin-femto/handler: ${(error as Error).message}`)
    }
  }
}

/** `/femto/x` and `/femto` are under `/femto/`. */
function under(path: string, prefix: string): boolean {
  return path.startsWith(prefix) || path === prefix.slice(0, -1)
}

async function load(options: FemtoHandlerOptions): Promise<Target> {
  const file = resolve(options.manifest ?? (process.env.FEMTO_MANIFEST || 'dist/servers/femto.json'))
  const dir = dirname(file)
  const mode = options.mode ?? (process.env.FEMTO_HANDLER_MODE || 'proxy')
  if (mode !== 'proxy' && mode !== 'in-process')
    throw new Error(`FEMTO_HANDLER_MODE is '${mode}': it takes proxy or in-process`)
  if (mode === 'in-process') {
    const manifest = manifestOf(file, !options.functions)
    // An internal function is called in this process by the functions that use it, never over
    // HTTP: from outside it is not found, as behind every gateway.
    const internal = new Set(manifest?.functions.filter(fn => fn.exposure === 'internal').map(fn => fn.route))
    const functions = (options.functions ?? await routerFunctions(dir)).filter(fn => !fn.internal && !internal.has(fn.route))
    const basePath = options.basePath ?? manifest?.basePath ?? '/femto'
    return { basePath, answer: inProcess(functions, basePath, options.allowedOrigins) }
  }
  const manifest = options.routes ? undefined : manifestOf(file, true)
  const basePath = options.basePath ?? manifest?.basePath ?? '/femto'
  const token = options.token ?? (process.env.FEMTO_TOKEN || undefined)
  return { basePath, answer: proxy(options.routes ? fixedRoutes(options.routes) : envRoutes(manifest!), token) }
}

interface BuildManifest {
  basePath: string
  services: { name: string, env: string }[]
  functions: { route: string, service: string, exposure?: 'public' | 'internal', previous?: { contract: string, service: string }[] }[]
}

function manifestOf(file: string, required: boolean): BuildManifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  }
  catch (error) {
    if (!required)
      return undefined
    throw new Error(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): build the app first, or give its path (the manifest option, FEMTO_MANIFEST)`)
  }
}

async function routerFunctions(dir: string): Promise<ServedFunction[]> {
  const file = join(dir, 'router.js')
  const module = await import(/* @vite-ignore */ pathToFileURL(file).href) as { functions?: ServedFunction[] }
  if (!Array.isArray(module.functions))
    throw new Error(`${file} exports no functions: rebuild the app with this version of unplugin-femto`)
  return module.functions
}

/** The path of a request's URL (absolute, as Request has it), without query or fragment. */
export function pathOfUrl(url: string): string {
  const scheme = url.indexOf('://')
  const start = scheme < 0 ? 0 : url.indexOf('/', scheme + 3)
  if (start < 0)
    return '/'
  let end = url.length
  for (let i = start; i < end; i++) {
    const c = url.charCodeAt(i)
    if (c === 63 /* ? */ || c === 35 /* # */)
      end = i
  }
  return url.slice(start, end)
}

function wireError(code: ErrorCode, message: string, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify({ error: { code, message } }), { status: ERROR_STATUS[code], headers: { 'content-type': JSON_TYPE, ...headers } })
}

// ---------------------------------------------------------------- proxy

/** `contract`: the call's `x-femto-contract`, which may route it to a previous version (version skew). */
type RouteTable = (route: string, contract: string | null) => { origin: string | undefined, env?: string } | undefined

function fixedRoutes(routes: Record<string, string>): RouteTable {
  const table = new Map(Object.entries(routes).map(([route, origin]) => [route, { origin }]))
  return route => table.get(route)
}

/** Each function's service, located by its `FEMTO_URL_<SERVICE>` (read once per service, when first called). */
function envRoutes(manifest: BuildManifest): RouteTable {
  const envOf = new Map(manifest.services.map(s => [s.name, s.env]))
  // As every gateway: an internal function (called only by other services) is not routed from outside.
  const routed = manifest.functions.filter(fn => fn.exposure !== 'internal')
  const table = new Map(routed.map(fn => [fn.route, { origin: undefined as string | undefined, env: envOf.get(fn.service)! }]))
  // Version skew, as the gateway routes: a call built against a previous contract goes to the
  // version serving it, where `FEMTO_URL_<SERVICE>__<contract>` says it runs (read per call: versions come and go).
  const previous = new Map(routed.filter(fn => fn.previous?.length).map(fn => [fn.route, new Map(fn.previous!.map(v => [v.contract, serviceUrlVariable(v.service, v.contract)]))]))
  return (route, contract) => {
    const env = contract === null ? undefined : previous.get(route)?.get(contract)
    const older = env && process.env[env]
    if (older)
      return { origin: older, env }
    const entry = table.get(route)
    if (entry && entry.origin === undefined && process.env[entry.env!])
      entry.origin = process.env[entry.env!]
    return entry
  }
}

/** Never forwarded: they describe this hop's connection, which fetch makes anew. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection', 'host', 'content-length']

/**
 * What the service is told about a call: the host the browser addressed, and what every gateway
 * tells it (guard.ts, asCallFromOutside).
 */
export function forwardedHeaders(request: Request, token: string | undefined): Headers {
  const headers = new Headers(request.headers)
  for (const name of HOP_BY_HOP)
    headers.delete(name)
  headers.set('x-forwarded-host', request.headers.get('host') ?? new URL(request.url).host)
  asCallFromOutside({ authorization: request.headers.get('authorization') ?? undefined, remove: name => headers.delete(name), set: (name, value) => headers.set(name, value) }, token)
  return headers
}

function proxy(routes: RouteTable, token: string | undefined): Target['answer'] {
  return async (request, path) => {
    const route = routes(path, request.headers.get('x-femto-contract'))
    if (!route)
      return wireError('NOT_FOUND', `no femto function at ${request.method} ${path}`)
    if (!route.origin)
      return wireError('UNAVAILABLE', `${route.env} is not set: start the services beside the app (femto up --app "<command>") or set it to the service's origin`)
    const target = route.origin + path + queryOf(request.url)
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null
    let upstream: Response
    try {
      upstream = await fetch(target, {
        method: request.method,
        headers: forwardedHeaders(request, token),
        // A known length is sent as it is (the service refuses an oversized body before reading it); else streamed.
        body: hasBody ? (request.headers.has('content-length') ? await request.arrayBuffer() : request.body) : undefined,
        duplex: 'half',
        redirect: 'manual',
        // A caller that goes away takes the call to the service with it.
        signal: request.signal,
      } as RequestInit)
    }
    catch (error) {
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause
      // A connection never made (refused, a name not resolved, a connect timeout) never reached the
      // function: the stub may retry even a call that must not run twice (as every gateway says).
      const headers = neverReached(error) ? { [NOT_REACHED_HEADER]: '1' } : undefined
      return wireError('UNAVAILABLE', `the service at ${route.origin} did not answer: ${cause?.message ?? (error as Error).message}`, headers)
    }
    // Its own headers object: frameworks add theirs (cookies, security headers) to what a hook returns;
    // the upstream connection's own headers are not the caller's.
    const headers = new Headers(upstream.headers)
    headers.delete('connection')
    headers.delete('keep-alive')
    headers.delete('transfer-encoding')
    return new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers })
  }
}

function queryOf(url: string): string {
  const q = url.indexOf('?')
  if (q < 0)
    return ''
  const hash = url.indexOf('#', q)
  return hash < 0 ? url.slice(q) : url.slice(q, hash)
}

// ---------------------------------------------------------------- in-process

/**
 * The functions in this process, through the same request path as a service and the Express
 * router (checks, limits, errors, logs, metrics); the Request and Response are bridged to the
 * small part of node:http that path uses.
 */
function inProcess(functions: ServedFunction[], basePath: string, allowedOrigins: string[] | undefined): Target['answer'] {
  // Like the router, the app is where browsers call: `auth` hooks always apply.
  const table: FunctionTable = createFunctionTable({ service: 'app', functions, allowedOrigins, edge: true })
  return (request, path) => {
    const req = bridgeRequest(request, path)
    const res = new BridgedResponse(request.signal)
    const entry = table.lookup(path)
    if (entry)
      serveRoute(entry, req, res as unknown as ServerResponse)
    else
      sendError(req, res as unknown as ServerResponse, errorOutcome('NOT_FOUND', `no femto function at ${request.method} ${path}; ${basePath} serves ${table.listing}`))
    return res.response
  }
}

/**
 * An IncomingMessage as far as the request path reads one: method, url, headers, and the body as
 * a real Readable (pause, resume, pipe and destroy behave as on a socket's request), read from the
 * Request only when someone reads it (a call refused before its body is read never reads it).
 */
function bridgeRequest(request: Request, path: string): IncomingMessage {
  const headers: Record<string, string> = {}
  request.headers.forEach((value, name) => {
    headers[name] = value
  })
  return new BridgedRequest(request, path + queryOf(request.url), headers) as unknown as IncomingMessage
}

class BridgedRequest extends Readable {
  /** As on IncomingMessage: the whole body arrived. */
  complete = false
  /**
   * What the request path does to a connection (close it after a 413): here there is none of
   * ours, so closing it stops reading the Request's body; the framework owns the socket.
   */
  readonly socket = Object.assign(new EventEmitter(), { destroy: (): void => void this.destroy() })
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined

  constructor(private readonly request: Request, readonly url: string, readonly headers: Record<string, string>) {
    super({ highWaterMark: 64 * 1024 })
    // A body that fails (the caller went away) ends the call through the listeners the request
    // path adds; with none (a body never read), it must not become an uncaught error of the app.
    this.on('error', () => {})
  }

  get method(): string {
    return this.request.method
  }

  override _read(): void {
    if (!this.request.body) {
      this.complete = true
      this.push(null)
      return
    }
    this.reader ??= this.request.body.getReader()
    this.reader.read().then((step) => {
      if (step.done) {
        this.complete = true
        this.push(null)
      }
      else {
        this.push(Buffer.from(step.value.buffer, step.value.byteOffset, step.value.byteLength))
      }
    }, (error: Error) => this.destroy(error))
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.reader?.cancel().catch(() => {})
    callback(error)
  }
}

/**
 * The ServerResponse calls of the request path, turned into one Response: a whole answer when
 * `end` comes first, else (a stream: `flushHeaders`, `write`) a Response whose body is the writes as they come.
 */
class BridgedResponse extends EventEmitter {
  headersSent = false
  destroyed = false
  writableFinished = false
  shouldKeepAlive = true
  statusCode = 200
  readonly response: Promise<Response>
  private headers = new Headers()
  private resolve!: (response: Response) => void
  private stream: ReadableStreamDefaultController<Uint8Array> | undefined
  private waiting = false

  constructor(signal: AbortSignal | undefined) {
    super()
    this.response = new Promise((resolve) => {
      this.resolve = resolve
    })
    signal?.addEventListener('abort', () => this.gone(), { once: true })
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers.set(name, String(value))
    return this
  }

  getHeader(name: string): string | undefined {
    return this.headers.get(name) ?? undefined
  }

  writeHead(status: number, headers?: Record<string, string | number> | (string | number)[]): this {
    this.statusCode = status
    this.headersSent = true
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2)
        this.headers.set(String(headers[i]), String(headers[i + 1]))
    }
    else if (headers) {
      for (const name in headers)
        this.headers.set(name, String(headers[name]))
    }
    return this
  }

  /** The answer is a stream: its Response goes out now, its body follows. */
  flushHeaders(): void {
    if (this.stream)
      return
    this.headersSent = true
    // Node computes it for a whole body; a stream has none.
    this.headers.delete('content-length')
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.stream = controller
      },
      pull: () => {
        if (this.waiting) {
          this.waiting = false
          this.emit('drain')
        }
      },
      cancel: () => this.gone(),
    }, { highWaterMark: 16 })
    this.resolve(new Response(body, { status: this.statusCode, headers: this.headers }))
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.destroyed || this.writableFinished)
      return false
    this.flushHeaders()
    this.stream!.enqueue(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    if ((this.stream!.desiredSize ?? 1) > 0)
      return true
    this.waiting = true
    return false
  }

  end(chunk?: string | Uint8Array): this {
    if (this.writableFinished)
      return this
    if (this.stream) {
      if (chunk !== undefined && !this.destroyed)
        this.stream.enqueue(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
      if (!this.destroyed)
        this.stream.close()
    }
    else {
      this.headersSent = true
      const bodyless = this.statusCode === 204 || this.statusCode === 304
      this.resolve(new Response(bodyless ? null : (chunk as BodyInit | undefined ?? null), { status: this.statusCode, headers: this.headers }))
    }
    this.writableFinished = true
    this.emit('finish')
    this.emit('close')
    return this
  }

  /** As ServerResponse's: the answer ends here, unfinished (a byte stream that failed midway). */
  destroy(): this {
    this.gone()
    return this
  }

  /** The caller went away (its request aborted, or it stopped reading the stream). */
  private gone(): void {
    if (this.destroyed || this.writableFinished)
      return
    this.destroyed = true
    if (this.stream) {
      try {
        this.stream.error(new Error('the caller went away'))
      }
      catch {}
    }
    else {
      // Nothing was answered yet: whoever still awaits the Response gets a 499 that no one reads.
      this.resolve(new Response(null, { status: 499 }))
    }
    this.emit('close')
  }
}
