import type { IncomingMessage } from 'node:http'
import type { Call } from './call-record'
import type { TraceContext } from './trace'
import { traceOf } from './call-record'

/** The request context of one call, as `getRequestContext()` hands it to the function. */
export interface CallContext {
  function: string
  requestId: string
  headers: IncomingMessage['headers']
  readonly signal: AbortSignal
  trace: TraceContext
  deadline: number | undefined
  abort: (reason: Error) => void
}

/**
 * The request context of one call. Its AbortController is made only when the function reads
 * `signal`: most never do, and one per call is a measurable share of a small call's cost.
 */
export function contextOf(call: Call): CallContext {
  const { fn, res } = call
  let controller: AbortController | undefined
  let aborted: Error | undefined
  const abort = (reason: Error): void => {
    aborted ??= reason
    controller?.abort(reason)
  }
  res.once('close', () => {
    if (!res.writableFinished)
      abort(new Error(`the caller of ${fn.name} went away`))
  })
  return {
    function: fn.name,
    requestId: call.requestId,
    headers: call.req.headers,
    get signal() {
      if (!controller) {
        controller = new AbortController()
        if (aborted)
          controller.abort(aborted)
      }
      return controller.signal
    },
    trace: traceOf(call),
    deadline: fn.timeoutMs == null ? undefined : Date.now() + fn.timeoutMs,
    abort,
  }
}
