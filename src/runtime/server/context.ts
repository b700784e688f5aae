import type { IncomingHttpHeaders } from 'node:http'
import { AsyncLocalStorage } from 'node:async_hooks'

/** What a femto function can know about the call it is serving. */
export interface RequestContext {
  /** The function being called. */
  function: string
  requestId: string
  headers: IncomingHttpHeaders
  /** Aborts when the caller goes away (it aborted, timed out, or broke out of a stream). */
  signal: AbortSignal
  /** The call's span (W3C trace context): calls it makes to other services continue its trace. */
  trace?: { traceId: string, spanId: string, parentSpanId?: string, flags: string, tracestate?: string }
}

const store = new AsyncLocalStorage<RequestContext>()
// Importing this module is what turns the context on: services that never ask for it pay nothing.
;(globalThis as any)[Symbol.for('unplugin-femto.context')] = store

/**
 * The current call, inside a femto function running in a service (or the router); `undefined`
 * anywhere else, e.g. when the function is called directly in a unit test.
 */
export function getRequestContext(): RequestContext | undefined {
  return store.getStore()
}
