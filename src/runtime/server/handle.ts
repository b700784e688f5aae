import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Outcome, ServedFunction } from './types'
import { randomUUID } from 'node:crypto'
import { JSON_TYPE } from '../protocol'
import { argsFromBody } from './args'
import { readBody } from './body'
import { errorOutcome, thrownOutcome, WireError } from './outcome'

const VALID_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id']
  return typeof sent === 'string' && VALID_REQUEST_ID.test(sent) ? sent : randomUUID()
}

const JSON_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i

/** The JSON value of a body; an empty body is no arguments at all. */
export function decodeJsonBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0 || raw.trim().length === 0)
    return []
  if (!contentType || !JSON_CONTENT_TYPE.test(contentType))
    throw new WireError('UNSUPPORTED_MEDIA_TYPE', `send the arguments as content-type: application/json (got ${contentType ? `'${contentType}'` : 'none'})`)
  try {
    return JSON.parse(raw)
  }
  catch (error) {
    throw new WireError('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`)
  }
}

/**
 * The whole request path of one call, shared by the standalone server and the Express router:
 * read, decode, check arity, call, encode, answer. `parsed` is a body some earlier middleware
 * already decoded (Express's `express.json()`).
 */
export async function handleCall(fn: ServedFunction, req: IncomingMessage, res: ServerResponse, parsed?: { body: unknown }): Promise<void> {
  const start = performance.now()
  const requestId = requestIdOf(req)
  let outcome: Outcome
  try {
    const body = parsed ? parsed.body : decodeJsonBody(await readBody(req, fn.bodyLimit), req.headers['content-type'])
    const args = argsFromBody(fn, body)
    outcome = await callAndEncode(fn, args, requestId)
  }
  catch (error) {
    outcome = error instanceof WireError ? errorOutcome(error.code, error.message) : thrownOutcome(error, requestId)
  }
  send(res, outcome, requestId, start)
}

async function callAndEncode(fn: ServedFunction, args: unknown[], requestId: string): Promise<Outcome> {
  let result: unknown
  try {
    result = await fn.fn(...args)
  }
  catch (error) {
    console.error(`[femto] ${fn.name} threw (request ${requestId}):`, error)
    return thrownOutcome(error, requestId)
  }
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
  const headers: Record<string, string | number> = {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(outcome.body),
    'x-request-id': requestId,
  }
  if (start !== undefined)
    headers['server-timing'] = `fn;dur=${(performance.now() - start).toFixed(2)}`
  if (outcome.headers)
    Object.assign(headers, outcome.headers)
  res.writeHead(outcome.status, headers)
  res.end(outcome.body)
}

/** A non-call route's answer (`/healthz`, 404, 405), with the same headers as any other. */
export function sendError(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  send(res, outcome, requestIdOf(req))
}

export { errorOutcome }
