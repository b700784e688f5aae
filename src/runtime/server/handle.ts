import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Outcome, ServedFunction } from './types'
import { JSON_TYPE } from '../protocol'
import { argsFromBody } from './args'
import { readBody } from './body'
import { errorOutcome, thrownOutcome, WireError } from './outcome'

const VALID_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

// Request ids only need to be unique, not secret: a random per-process prefix and a counter
// cost nothing per request, and spare every service the load of `node:crypto` at start-up.
const ID_PREFIX = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`
let idCounter = 0

export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id']
  return typeof sent === 'string' && VALID_REQUEST_ID.test(sent) ? sent : `${ID_PREFIX}-${(++idCounter).toString(36)}`
}

const JSON_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i
// Clients send the same content-type on every call: remember the last one that passed.
let lastJsonType = 'application/json'

/** The JSON value of a body; an empty body is no arguments at all. */
export function decodeJsonBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0)
    return []
  if (contentType !== lastJsonType) {
    if (!contentType || !JSON_CONTENT_TYPE.test(contentType)) {
      if (raw.trim().length === 0)
        return []
      throw new WireError('UNSUPPORTED_MEDIA_TYPE', `send the arguments as content-type: application/json (got ${contentType ? `'${contentType}'` : 'none'})`)
    }
    lastJsonType = contentType
  }
  try {
    return JSON.parse(raw)
  }
  catch (error) {
    if (raw.trim().length === 0)
      return []
    throw new WireError('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`)
  }
}

/**
 * The whole request path of one call, shared by the standalone server and the Express router:
 * read, decode, check arity, call, encode, answer. `parsed` is a body some earlier middleware
 * already decoded (Express's `express.json()`). Callbacks rather than async functions: each
 * await is a turn of the microtask queue, and this path is what the benchmarks measure.
 */
export function handleCall(fn: ServedFunction, req: IncomingMessage, res: ServerResponse, parsed?: { body: unknown }): void {
  const start = performance.now()
  const requestId = requestIdOf(req)
  if (parsed)
    return invoke(fn, parsed.body, res, requestId, start)
  readBody(req, fn.bodyLimit, (error, raw) => {
    if (error)
      return send(res, errorOutcome(error.code, error.message), requestId, start)
    let body: unknown
    try {
      body = decodeJsonBody(raw, req.headers['content-type'])
    }
    catch (failure) {
      return send(res, failed(failure, requestId), requestId, start)
    }
    invoke(fn, body, res, requestId, start)
  })
}

function invoke(fn: ServedFunction, body: unknown, res: ServerResponse, requestId: string, start: number): void {
  let result: unknown
  try {
    result = fn.fn(...argsFromBody(fn, body))
  }
  catch (error) {
    return send(res, failed(error, requestId, fn), requestId, start)
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(
      value => send(res, encode(fn, value), requestId, start),
      error => send(res, failed(error, requestId, fn), requestId, start),
    )
  }
  else {
    send(res, encode(fn, result), requestId, start)
  }
}

function failed(error: unknown, requestId: string, fn?: ServedFunction): Outcome {
  if (error instanceof WireError)
    return errorOutcome(error.code, error.message)
  if (fn)
    console.error(`[femto] ${fn.name} threw (request ${requestId}):`, error)
  return thrownOutcome(error, requestId)
}

function encode(fn: ServedFunction, result: unknown): Outcome {
  let body: string | undefined
  try {
    body = JSON.stringify(result)
  }
  catch (error) {
    return errorOutcome('INTERNAL_ERROR', `${fn.name} returned a value JSON cannot carry: ${(error as Error).message}`)
  }
  return { status: 200, body: body ?? 'null' }
}

export function send(res: ServerResponse, outcome: Outcome, requestId: string, start?: number): void {
  if (res.headersSent || res.destroyed)
    return
  // A flat array: Node takes it as is, without walking an object's keys.
  const headers: (string | number)[] = [
    'content-type',
    JSON_TYPE,
    'content-length',
    Buffer.byteLength(outcome.body),
    'x-request-id',
    requestId,
  ]
  if (start !== undefined)
    headers.push('server-timing', `fn;dur=${(performance.now() - start).toFixed(2)}`)
  if (outcome.headers) {
    for (const key in outcome.headers)
      headers.push(key, outcome.headers[key]!)
  }
  res.writeHead(outcome.status, headers as unknown as string[])
  res.end(outcome.body)
}

/** A non-call route's answer (`/healthz`, 404, 405), with the same headers as any other. */
export function sendError(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  send(res, outcome, requestIdOf(req))
}

export { errorOutcome }
