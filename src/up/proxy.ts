import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import http from 'node:http'
import { pipeline } from 'node:stream'
import { isBrokenConnection, keptAliveAgent, neverReached, notReachedWait, withConnectTimeout } from '../runtime/client/not-reached'
import { asCallFromOutside } from '../runtime/server/guard'
import { NOT_REACHED_HEADER } from '../runtime/shared/protocol'

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

const agent = keptAliveAgent(http.Agent)
/** For a call sent again after its connection broke: a new connection, not one that died with it. */
const fresh = withConnectTimeout(new http.Agent({ keepAlive: false }))
const EMPTY = Buffer.alloc(0)

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
  asCallFromOutside({ authorization: req.headers.authorization, remove: name => delete headers[name], set: (name, value) => void (headers[name] = value) }, token)
  return headers
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
  const target = new URL(req.url ?? '/', origin)
  const headers = forwardedHeaders(req, target, token)
  const holdMs = hold.holdMs ?? HOLD_MS
  const started = Date.now()
  let tries = 0
  let resent = false
  let upstream: http.ClientRequest | undefined
  let retry: ReturnType<typeof setTimeout> | undefined

  // A caller that goes away (abort, timeout, a stream it stopped reading) takes the upstream
  // request with it, so that the service sees its request aborted too; a held call stops there.
  res.once('close', () => {
    if (!res.writableFinished) {
      clearTimeout(retry)
      upstream?.destroy()
    }
  })

  function answered(answer: IncomingMessage): void {
    res.writeHead(answer.statusCode ?? 502, answer.headers)
    // Streams (no content-length) go through as they come, not when Node's buffers fill.
    if (answer.headers['content-length'] === undefined) {
      res.flushHeaders()
      // If the service dies mid-answer, the caller's response ends too instead of hanging.
      return void pipeline(answer, res, () => {})
    }
    // A sized answer (nearly every call) is piped without pipeline(), whose AbortController and
    // DOMException per call took ~15% of the gateway's CPU under load (bench: `femto up` gateway).
    // A service that dies mid-answer fails `answer`: the caller's response is cut short too.
    answer.once('error', () => res.destroy())
    answer.once('aborted', () => res.destroy())
    answer.pipe(res)
  }

  /** One attempt. `body`: the whole body, kept to be sent again; else `head` is what was read of it, and the rest streams. */
  function send(body: Buffer | undefined, head: Buffer[] = []): void {
    try {
      // Sent again after a broken connection: on a new one, not on another kept-alive connection that died with it.
      upstream = http.request(target, { method: req.method, headers, agent: resent ? fresh : agent }, answered)
    }
    catch (error) {
      // Headers Node refuses to send on (it accepted them from the client): answer, never crash.
      return json(res, 400, { error: { code: 'INVALID_ARGUMENT', message: `the request cannot be forwarded: ${(error as Error).message}` } })
    }
    upstream.on('error', (error) => {
      if (res.headersSent)
        return void res.destroy()
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
            (hold.log ?? console.warn)(`[femto] gateway: ${target.pathname} not reached at ${origin} (${error.message}); holding it for up to ${holdMs} ms`)
          retry = setTimeout(send, wait, body)
          return
        }
      }
      // Never reached the function: a stub may try again even a call that must not run twice.
      if (notReached)
        res.setHeader(NOT_REACHED_HEADER, '1')
      const held = tries > 0 ? ` (not reached for ${Date.now() - started} ms)` : ''
      json(res, 502, { error: { code: 'UNAVAILABLE', message: `the service at ${origin} did not answer: ${error.message}${held}` } })
    })
    if (body)
      return void upstream.end(body)
    for (const chunk of head)
      upstream.write(chunk)
    req.pipe(upstream)
  }

  const limit = hold.bodyLimit ?? HOLD_BODY_LIMIT
  if (holdMs <= 0 || Number(req.headers['content-length']) > limit)
    return send(undefined)
  const chunks: Buffer[] = []
  let size = 0
  function onData(chunk: Buffer): void {
    chunks.push(chunk)
    size += chunk.length
    if (size > limit) {
      req.off('data', onData)
      req.off('end', onEnd)
      send(undefined, chunks)
    }
  }
  function onEnd(): void {
    send(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
  }
  req.on('data', onData)
  req.once('end', onEnd)
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
