import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Call } from './call-record'
import type { Outcome } from './types'
import { isPlainPrimitive, isRich, RICH_TYPE } from '../shared/codec'
import { ERROR_STATUS, JSON_TYPE } from '../shared/protocol'
import { isBytes, sendBytes } from './bytes'
import { now } from './clock'
import { encodeValue, resultJson } from './encode'
import { formRedirect, isPlainFormPost } from './form-redirect'
import { observe } from './observe'
import { WireError } from './outcome'
import { requestIdOf } from './request-id'
import { isInstance, stringField, text } from './thrown'

/** Every answer to a call goes through here: encoded, observed once (metrics, log line, span) as it goes out, then sent. */
export function answer(call: Call, outcome: Outcome): void {
  const { res } = call
  if (outcome.status === 200 && typeof outcome.value === 'object' && isBytes(outcome.value) && !(call.rich && outcome.value instanceof Uint8Array) && !res.headersSent && !res.destroyed)
    return sendBytes(call, outcome.value)
  // A browser that posted a form without script lands on a page (form-redirect.ts). The accept
  // header is read first: calls that are not from a browser page never get further.
  if ((call.req.headers.accept ?? '').includes('text/html') && isPlainFormPost(call.req) && !res.headersSent && !res.destroyed)
    outcome = formRedirect(call.req, call.fn.name, outcome, outcome.status < 300 ? jsonOrUndefined(outcome.value, call.fn.plainResult) : undefined)
  // A result (not an error) in plain JSON takes the form openapi.json documents for its type.
  const encoded = res.headersSent || res.destroyed ? undefined : encode(outcome, call.requestId, call.rich, outcome.status < 300 ? call.fn.plainResult ?? false : undefined)
  // What is observed is what goes out: a result with no JSON form leaves as a 406.
  const sent = encoded?.outcome ?? outcome
  const code = sent.status >= 300 ? (sent.value as { error?: { code?: string } } | undefined)?.error?.code : undefined
  observe(call, res.destroyed ? 499 : sent.status, res.destroyed ? 'ABORTED' : code)
  if (encoded)
    write(res, encoded, call.requestId, call.start)
}

function jsonOrUndefined(value: unknown, plain: boolean | undefined): string | undefined {
  try {
    return resultJson(value, plain ?? false)
  }
  catch {
    return undefined
  }
}

/** Writes an outcome, once: an answer already sent (a timeout came first) or a caller gone is left alone. */
export function send(res: ServerResponse, outcome: Outcome, requestId: string, start?: number, rich = false): void {
  if (res.headersSent || res.destroyed)
    return
  write(res, encode(outcome, requestId, rich, undefined), requestId, start)
}

interface Encoded { outcome: Outcome, body: string, rich: boolean }

/**
 * The body of an outcome. `plainResult` is set for a function's result: whether its schema lets
 * `resultJson` skip the walk. What cannot be encoded becomes the error that says why.
 */
function encode(outcome: Outcome, requestId: string, rich: boolean, plainResult: boolean | undefined): Encoded {
  // A plain primitive is exact in JSON, so even a caller that asked for the rich encoding gets JSON.
  rich &&= !isPlainPrimitive(outcome.value)
  try {
    return { outcome, rich, body: plainResult === undefined || rich ? encodeValue(outcome.value, rich) : resultJson(outcome.value, plainResult) }
  }
  catch (error) {
    if (isInstance(error, WireError)) {
      // A value with no JSON form (resultJson): the caller may ask again in the rich encoding.
      outcome = { status: ERROR_STATUS[error.code], value: { error: { code: error.code, message: error.message, requestId } } }
    }
    else {
      // What the encoder threw is user data too (a toJSON, a getter): read it without throwing again.
      const why = stringField(error, 'message') ?? text(error)
      outcome = { status: 500, value: { error: { code: 'INTERNAL_ERROR', message: `the answer cannot be encoded: ${why}`, requestId } } }
    }
    return { outcome, rich, body: encodeValue(outcome.value, rich) }
  }
}

function write(res: ServerResponse, { outcome, body, rich }: Encoded, requestId: string, start: number | undefined): void {
  if (outcome.status === 303) {
    res.writeHead(303, ['location', outcome.headers!.location!, 'cache-control', 'no-store', 'content-length', '0', 'x-request-id', requestId] as unknown as string[])
    res.end()
    return
  }
  // A flat array: Node takes it as is, without walking an object's keys.
  const headers: (string | number)[] = [
    'content-type',
    rich ? RICH_TYPE : JSON_TYPE,
    'content-length',
    Buffer.byteLength(body),
    'x-request-id',
    requestId,
  ]
  if (start !== undefined)
    headers.push('server-timing', `fn;dur=${(now() - start).toFixed(2)}`)
  if (outcome.headers) {
    for (const key in outcome.headers)
      headers.push(key, outcome.headers[key]!)
  }
  res.writeHead(outcome.status, headers as unknown as string[])
  res.end(body)
}

/** A non-call route's answer (`/healthz`, 404, 405), with the same headers as any other. */
export function sendError(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  send(res, outcome, requestIdOf(req), undefined, isRich(req.headers.accept))
}
