import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CallContext } from './call-context'
import type { FunctionEntry } from './function-table'
import type { Deadline } from './timeout'
import type { TraceContext } from './trace'
import type { ServedFunction } from './types'
import { isRich } from '../shared/codec'
import { now } from './clock'
import { requestIdOf } from './request-id'
import { incomingTrace } from './trace'

/**
 * Everything one call carries from its first stage to its answer. Each stage takes this record
 * and nothing else of the call, so per-call state lives here, not on `res` or the function's spec.
 */
export interface Call {
  /** The function's entry in the table: its spec and its per-process state (metrics, calls running). */
  readonly entry: FunctionEntry
  readonly fn: ServedFunction
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly requestId: string
  /** `now()` (clock.ts) when the call arrived: its duration and `server-timing` count from here. */
  readonly start: number
  /** The caller accepts the rich encoding (stubs do), so the answer may use it. */
  readonly rich: boolean
  /** Read through {@link traceOf}: made on first use (a log line, a span, a request context), as most quiet calls need none. */
  trace: TraceContext | undefined
  /** A body some earlier middleware already decoded (Express's `express.json()`): not read again. */
  readonly parsed: { body: unknown } | undefined
  /** What `getRequestContext()` returns inside the function; made only in services that import it. */
  context: CallContext | undefined
  /** The timeout of the stage running now (auth hook, validator, the function); one at a time. */
  timer: Deadline | undefined
  /** Metrics, log line and span are recorded once per call, however many ways it ends. */
  observed: boolean
}

export function createCall(entry: FunctionEntry, req: IncomingMessage, res: ServerResponse, parsed: { body: unknown } | undefined): Call {
  // Every field is set here, in one order, so that V8 gives every call record the same shape.
  const start = now()
  return {
    entry,
    fn: entry.fn,
    req,
    res,
    requestId: requestIdOf(req),
    start,
    rich: isRich(req.headers.accept),
    trace: undefined,
    parsed,
    context: undefined,
    timer: undefined,
    observed: false,
  }
}

/** The call's trace: the caller's, continued, or a new one. */
export function traceOf(call: Call): TraceContext {
  return call.trace ??= incomingTrace(call.req.headers.traceparent, call.req.headers.tracestate)
}
