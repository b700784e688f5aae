import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { Agent, buildConnector, Client, Dispatcher } from 'undici'
import { PassThrough } from 'node:stream'
import { CONNECT_TIMEOUT_MS, IDLE_CONNECTION_MS, isBrokenConnection, letGoOfIdleConnectionsToo, neverReached, notReachedWait } from '../runtime/client/not-reached'
import { closeAfterAnswer } from '../runtime/server/body'
import { asCallFromOutside } from '../runtime/server/guard'
import { NOT_REACHED_HEADER, SERVICE_KEEP_ALIVE_MS } from '../runtime/shared/protocol'

/** How a gateway holds a call whose service cannot be connected to (it is restarting). */
export interface HoldOptions {
  /** How long to keep trying to connect, from when the call arrived. 0: answer 502 at once. Default {@link HOLD_MS}. */
  holdMs?: number
  /** Bodies up to this many bytes are kept, to be sent again; a call with a larger body is not held. Default {@link HOLD_BODY_LIMIT}. */
  bodyLimit?: number
  /** Where the line saying a call is held goes. Default `console.warn`. */
  log?: (line: string) => void
}

/** A restart of a service (femto up's backoff, Compose recreating a container) fits in this. */
export const HOLD_MS = 10_000
/** The services' default `bodyLimit`: a larger call would be refused by its service anyway. */
export const HOLD_BODY_LIMIT = 1024 * 1024

/**
 * The hop to the services is undici's client, not `node:http`'s: femto up's CPU per call through
 * the gateway went from 225-241 to 133-137 µs with it (bench `--only gateway`, issue 19).
 * Its connections are kept as femto's agents keep theirs (not-reached.ts): a new one that does not
 * open within CONNECT_TIMEOUT_MS is given up as not reached; an idle one is closed by the gateway,
 * after IDLE_CONNECTION_MS or sooner if a service announces a shorter keep-alive, a second under it,
 * so that no call goes out on a connection its service is closing. No timeout of its own on an
 * answer, as `node:http`'s client: a function may take long, and a stream may be quiet for long.
 */
const UPSTREAM: Client.Options = {
  connect: connectUpstream,
  keepAliveTimeout: IDLE_CONNECTION_MS,
  keepAliveMaxTimeout: IDLE_CONNECTION_MS,
  keepAliveTimeoutThreshold: SERVICE_KEEP_ALIVE_MS - IDLE_CONNECTION_MS,
  headersTimeout: 0,
  bodyTimeout: 0,
}

const EMPTY = Buffer.alloc(0)

/**
 * undici takes ~75 ms to load: it is loaded when a gateway is created (or by the first call a
 * `vite preview` forwards), not by every `femto` command and every import of the package.
 */
let undici: typeof import('undici') | undefined
let loading: Promise<void> | undefined
export function loadUpstreamClient(): Promise<void> {
  return loading ??= import('undici').then((module) => {
    undici = module
  })
}

/**
 * Origins whose service also listens on a Unix socket (femto up's own, local-socket.ts): origin →
 * the socket's path. A connection to one of them is made there, not over loopback TCP: the hop
 * then costs the gateway and the service less of the kernel (design 0050). The origin stays what
 * routes, logs and errors name.
 */
const localSockets = new Map<string, string>()

/** From now on, connections to `origin` go to the Unix socket at `path`; none: over TCP again. */
export function reachOverSocket(origin: string, path: string | undefined): void {
  if (path === undefined)
    localSockets.delete(origin)
  else
    localSockets.set(origin, path)
}

let overTcp: buildConnector.connector | undefined
const overSocket = new Map<string, buildConnector.connector>()

/** undici's own connector (its connect timeout), made for the socket of the origin when it has one. */
function connectUpstream(options: buildConnector.Options, callback: buildConnector.Callback): void {
  const path = localSockets.get(`${options.protocol}//${options.host}`)
  let connector = path === undefined ? overTcp : overSocket.get(path)
  if (connector === undefined) {
    connector = undici!.buildConnector({ timeout: CONNECT_TIMEOUT_MS, socketPath: path })
    if (path === undefined)
      overTcp = connector
    else
      overSocket.set(path, connector)
  }
  connector(options, callback)
}

let agent: Agent | undefined
// A stopping gateway lets go of the services (drain.ts): the agent closes its idle connections at
// once, and the others as the calls on them finish; a call after that gets a new agent.
letGoOfIdleConnectionsToo(() => {
  agent?.close().catch(() => {})
  agent = undefined
})

/**
 * A path (and query) that `new URL` would leave as it is: no dot segment, no character it would
 * encode or change, not protocol-relative. Most calls' paths are such, and are sent on as they
 * came; any other is resolved as a URL, as every one used to be (a `new URL` per call showed in
 * profiles of the gateway under load).
 */
const PLAIN_PATH = /^(?!\/\/)(?!.*\/[.%])\/[\w\-.~!$&()*+,;=:@%/?]*(?<!\?)$/

/** A service's origin, parsed once: a gateway forwards to a handful of them. */
const origins = new Map<string, { origin: string, host: string }>()

/** Where a call goes: the origin and host of `origin` (a service's), and the path the caller asked for. */
function upstream(origin: string, url: string): { origin: string, host: string, path: string } {
  if (PLAIN_PATH.test(url)) {
    let parsed = origins.get(origin)
    if (parsed === undefined) {
      const { origin: own, host } = new URL(origin)
      if (origins.size >= 1024)
        origins.clear()
      origins.set(origin, parsed = { origin: own, host })
    }
    return { origin: parsed.origin, host: parsed.host, path: url }
  }
  const target = new URL(url, origin)
  return { origin: target.origin, host: target.host, path: target.pathname + target.search }
}

/** Fields of the connection between two hops: undici writes its own or refuses them, and the gateway's server writes its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect'])
/** The lengths of those names and of `content-length`: the only answer fields the gateway looks at. */
const WATCHED_LENGTHS = new Set([...HOP_BY_HOP, 'content-length'].map(name => name.length))

/**
 * What a service is told about a call: the host the browser addressed (for its origin check),
 * and, with FEMTO_TOKEN, the token, the browser's own `Authorization` moved aside for its `auth`
 * hook. A call from outside never passes as one from inside (`x-femto-internal`); a service
 * calling another through the gateway (FEMTO_GATEWAY) holds the token and goes through as it is.
 * A flat list of names and values, as undici takes it without a copy of its own: no object per
 * call whose fields are deleted (which makes V8 turn it into a slow dictionary).
 */
function forwardedHeaders(req: IncomingMessage, host: string, token: string | undefined): string[] {
  const incoming = req.headers
  let removed: string[] | undefined
  const added: string[] = ['host', host]
  if (incoming.host !== undefined)
    added.push('x-forwarded-host', incoming.host)
  asCallFromOutside({
    authorization: incoming.authorization,
    remove: name => void (removed ??= []).push(name),
    set: (name, value) => void added.push(name, value),
  }, token)
  const headers: string[] = []
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || removed?.includes(name) || isAdded(added, name))
      continue
    const value = incoming[name]!
    // A repeated field Node keeps as a list (`set-cookie`): one line each, as undici writes a list.
    if (typeof value === 'string') {
      headers.push(name, value)
    }
    else {
      for (const one of value) headers.push(name, one)
    }
  }
  for (let i = 0; i < added.length; i++)
    headers.push(added[i]!)
  return headers
}

function isAdded(added: string[], name: string): boolean {
  for (let i = 0; i < added.length; i += 2) {
    if (added[i] === name)
      return true
  }
  return false
}

/**
 * The service's answer head, sent on as it came (a repeated field such as `set-cookie` stays
 * repeated), but for the fields of its own connection to the gateway: the caller's connection is
 * the gateway's to describe (a draining gateway answers `connection: close`, drain.ts, which a
 * service's `keep-alive` would contradict). Returns the body's length, -1 when it gave none.
 */
function writeHead(res: ServerResponse, status: number, raw: Buffer[]): number {
  const fields: string[] = []
  let length = -1
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1')
    const value = raw[i + 1]!.toString('latin1')
    // Only a name as long as one of those fields is lowercased to be compared.
    if (WATCHED_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase()
      if (HOP_BY_HOP.has(lower))
        continue
      if (lower === 'content-length')
        length = Number(value)
    }
    fields.push(name, value)
  }
  if (res.getHeaderNames().length === 0) {
    res.writeHead(status, fields)
    return length
  }
  // Fields set before the call was forwarded (vite preview's own): the service's replace them,
  // which writeHead with a list would do for repeated ones too.
  const seen = new Set<string>()
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase()
    if (seen.has(name)) {
      res.appendHeader(name, fields[i + 1]!)
    }
    else {
      seen.add(name)
      res.setHeader(name, fields[i + 1]!)
    }
  }
  res.writeHead(status)
  return length
}

/**
 * What streams to the service: the caller's body, after the `head` of it read already (to be
 * held, until it grew too large). Through a stream of its own: undici ends it when the service
 * answers before the whole body (a 413), and the caller's connection must outlive that.
 */
function streamedBody(head: Buffer[], req: IncomingMessage): Readable {
  const body = new PassThrough()
  for (const chunk of head)
    body.write(chunk)
  req.pipe(body)
  return body
}

/**
 * Forwards one call to the service at `origin`, as the gateway does (`femto up`, `vite preview`,
 * `node gateway.js`). A call that cannot connect (refused, a name that does not resolve, a
 * connection that does not open) never reached the function, so it is sent again on a new
 * connection, with a new DNS lookup, until `holdMs`: clients that never retry (curl) ride out a
 * restart too. For that the body is read whole first, up to `bodyLimit`; a larger one streams
 * through and is not held. Given up, the answer is 502 marked `x-femto-not-reached: 1`.
 * `idempotent`: the function may run twice, so a call whose connection broke before any answer
 * (the service killed mid-call, or closing a kept-alive connection as the call went out) is sent
 * once more, on a new connection.
 */
export function proxy(req: IncomingMessage, res: ServerResponse, origin: string, token: string | undefined, hold: HoldOptions = {}, idempotent = false): void {
  if (!undici) {
    // The body waits unread meanwhile; a caller gone by then is not forwarded.
    return void loadUpstreamClient().then(
      () => res.destroyed || proxy(req, res, origin, token, hold, idempotent),
      (error: Error) => json(res, 502, { error: { code: 'UNAVAILABLE', message: `the gateway cannot forward calls: ${error.message}` } }),
    )
  }
  const { Agent, Client } = undici
  const target = upstream(origin, req.url ?? '/')
  const request: Dispatcher.DispatchOptions = {
    origin: target.origin,
    path: target.path,
    method: req.method as Dispatcher.HttpMethod,
    headers: forwardedHeaders(req, target.host, token),
  }
  const holdMs = hold.holdMs ?? HOLD_MS
  const started = Date.now()
  let tries = 0
  let resent = false
  /** The attempt's body when it is kept to be sent again. */
  let held: Buffer | undefined
  /** Ends the attempt under way, once it has a connection. */
  let abort: ((error?: Error) => void) | undefined
  let gone = false
  let dispatching = false
  let resume: (() => void) | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  /** The answer's length, while its whole body may still come as one chunk; else -1. */
  let length = -1

  // A caller that goes away (abort, timeout, a stream it stopped reading) takes the upstream
  // request with it, so that the service sees its request aborted too; a held call stops there.
  res.on('close', () => {
    if (!res.writableFinished) {
      gone = true
      clearTimeout(retry)
      abort?.()
    }
  })

  const handler: Dispatcher.DispatchHandlers = {
    onConnect(cancel) {
      // The caller went away while the attempt waited for a connection.
      if (gone)
        return cancel()
      abort = cancel
    },
    onHeaders(status, raw, resumeAnswer) {
      // 1xx (103 Early Hints): not sent on, as `node:http`'s client did not.
      if (status < 200)
        return true
      // Refused before the caller finished sending (a 413, or its form's 303): a browser reads
      // no answer until it has sent the whole body, so the rest is read and dropped, as the
      // service does. A 2xx is a function answering as a stream argument still arrives.
      if (status >= 300 && !held && !req.complete) {
        // Nothing more goes to the service, which has answered: the rest is dropped here.
        req.unpipe()
        closeAfterAnswer(req, res)
      }
      length = writeHead(res, status, raw)
      // Streams (no content-length) go through as they come, not when Node's buffers fill.
      if (length < 0)
        res.flushHeaders()
      resume = resumeAnswer
      return true
    },
    onData(chunk) {
      // A sized answer that came in one piece (most do) goes out with its head in one `end`.
      if (chunk.length === length) {
        res.end(chunk)
        return true
      }
      length = -1
      if (res.write(chunk))
        return true
      // A caller that reads slower than the service writes: the answer waits, not the gateway's memory.
      res.once('drain', resume!)
      return false
    },
    onComplete() {
      abort = undefined
      if (!res.writableEnded)
        res.end()
    },
    onError(error) {
      abort = undefined
      failed(error)
    },
  }

  /** One attempt. `body`: the whole body, kept to be sent again; else what streams. */
  function send(body: Buffer | Readable): void {
    held = Buffer.isBuffer(body) ? body : undefined
    request.body = body
    // Sent again after a broken connection: on a new one, not on another kept-alive connection
    // that died with it; that client closes once the call is done.
    const client = resent ? new Client(target.origin, UPSTREAM) : (agent ??= new Agent(UPSTREAM))
    dispatching = true
    client.dispatch(request, handler)
    dispatching = false
    if (resent)
      client.close().catch(() => {})
  }

  function failed(error: Error): void {
    // If the service dies mid-answer, the caller's response is cut short too instead of hanging.
    if (res.headersSent)
      return void res.destroy()
    // undici refused the call as it was sent (headers it does not send): answer, never crash.
    if (dispatching)
      return json(res, 400, { error: { code: 'INVALID_ARGUMENT', message: `the request cannot be forwarded: ${error.message}` } })
    const body = held
    const notReached = neverReached(error)
    if (idempotent && !resent && body && !res.destroyed && isBrokenConnection(error)) {
      resent = true
      // After a moment: a killed service's listener may still take a connection while it goes.
      retry = setTimeout(send, notReachedWait(1), body)
      return
    }
    if (notReached && body && !res.destroyed) {
      const wait = notReachedWait(++tries)
      if (Date.now() + wait - started < holdMs) {
        if (tries === 1)
          (hold.log ?? console.warn)(`[femto] gateway: ${target.path.split('?')[0]} not reached at ${origin} (${error.message}); holding it for up to ${holdMs} ms`)
        retry = setTimeout(send, wait, body)
        return
      }
    }
    // Never reached the function: a stub may try again even a call that must not run twice.
    if (notReached)
      res.setHeader(NOT_REACHED_HEADER, '1')
    const heldFor = tries > 0 ? ` (not reached for ${Date.now() - started} ms)` : ''
    json(res, 502, { error: { code: 'UNAVAILABLE', message: `the service at ${origin} did not answer: ${error.message}${heldFor}` } })
  }

  const limit = hold.bodyLimit ?? HOLD_BODY_LIMIT
  if (holdMs <= 0 || Number(req.headers['content-length']) > limit)
    return send(streamedBody([], req))
  const chunks: Buffer[] = []
  let size = 0
  function onData(chunk: Buffer): void {
    chunks.push(chunk)
    size += chunk.length
    if (size > limit) {
      // Paused until the upstream reads on, so that no chunk passes while no one listens.
      req.pause()
      req.off('data', onData)
      req.off('end', onEnd)
      send(streamedBody(chunks, req))
    }
  }
  function onEnd(): void {
    send(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
  }
  req.on('data', onData)
  req.once('end', onEnd)
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
