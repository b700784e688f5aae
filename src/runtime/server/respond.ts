import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Call } from './call-record'
import type { Outcome } from './types'
import { isPlainPrimitive, isRich, RICH_TYPE } from '../shared/codec'
import { JSON_TYPE } from '../shared/protocol'
import { encodeValue, resultJson } from './encode'
import { observe } from './observe'
import { requestIdOf } from './request-id'
import { stringField, text } from './thrown'

/** Every answer to a call goes through here: observed once (metrics, log line, span), then sent. */
export function answer(call: Call, outcome: Outcome): void {
  const { res } = call
  const code = outcome.status >= 300 ? (outcome.value as { error?: { code?: string } } | undefined)?.error?.code : undefined
  observe(call, res.destroyed ? 499 : outcome.status, res.destroyed ? 'ABORTED' : code)
  // A result (not an error) in plain JSON takes the form openapi.json documents for its type.
  send(res, outcome, call.requestId, call.start, call.rich, outcome.status < 300 ? call.fn.plainResult ?? false : undefined)
}

/**
 * Writes an outcome, once: an answer already sent (a timeout came first) or a caller gone is left alone.
 * `plainResult` is set for a function's result: whether its schema lets `resultJson` skip the walk.
 */
export function send(res: ServerResponse, outcome: Outcome, requestId: string, start?: number, rich = false, plainResult?: boolean): void {
  if (res.headersSent || res.destroyed)
    return
  let body: string
  // A plain primitive is exact in JSON, so even a caller that asked for the rich encoding gets JSON.
  rich &&= !isPlainPrimitive(outcome.value)
  try {
    body = plainResult === undefined || rich ? encodeValue(outcome.value, rich) : resultJson(outcome.value, plainResult)
  }
  catch (error) {
    // What the encoder threw is user data too (a toJSON, a getter): read it without throwing again.
    const why = stringField(error, 'message') ?? text(error)
    outcome = { status: 500, value: { error: { code: 'INTERNAL_ERROR', message: `the answer cannot be encoded: ${why}`, requestId } } }
    body = encodeValue(outcome.value, rich)
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
    headers.push('server-timing', `fn;dur=${(performance.now() - start).toFixed(2)}`)
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
