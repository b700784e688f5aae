import type { IncomingHttpHeaders } from 'node:http'
import { AsyncLocalStorage } from 'node:async_hooks'
import { REQUEST_CONTEXT_KEY } from './context-key'

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
  /** When the call times out (`Date.now()` milliseconds; the function's `timeoutMs` from its start), if it has a timeout. */
  deadline?: number
}

/**
 * The current call's context, published where handle.ts finds it: a published store is what turns
 * the context on, and it costs every call (about a third of a trivial service's throughput).
 * Marked pure although creating it publishes it, so that a service bundle keeps it only where kept
 * code reads it: `getRequestContext`, or `callService`, which passes the call's trace on. A service
 * that calls nobody and never asks pays nothing.
 */
export const requestContexts: AsyncLocalStorage<RequestContext> = /* @__PURE__ */ publishedStore()

function publishedStore(): AsyncLocalStorage<RequestContext> {
  const store = new AsyncLocalStorage<RequestContext>()
  ;(globalThis as any)[REQUEST_CONTEXT_KEY] = store
  return store
}

/**
 * The current call, inside a femto function running in a service (or the router); `undefined`
 * anywhere else, e.g. when the function is called directly in a unit test.
 */
export function getRequestContext(): RequestContext | undefined {
  return requestContexts.getStore()
}
