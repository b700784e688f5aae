/** W3C trace context (https://www.w3.org/TR/trace-context/) of one request's span. */
export interface TraceContext {
  traceId: string
  spanId: string
  /** The caller's span, when the request came with a valid `traceparent`. */
  parentSpanId?: string
  /** Two lowercase hex digits; `01` is sampled. */
  flags: string
  tracestate?: string
}

// A trace this service starts is marked sampled: every request is logged with its ids, and
// exported whole when OpenTelemetry export is configured, as an always-on sampler would.
const NEW_TRACE_FLAGS = '01'
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
// version-traceid-parentid-flags; what may follow (a later version's fields) is checked apart.
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}/
// The spec asks to propagate at least 512 characters of tracestate; longer ones lose whole members.
const TRACESTATE_LIMIT = 512

/**
 * The span of an incoming request: continues a valid `traceparent` (its span becomes our parent)
 * or starts a trace. Invalid headers (per W3C trace-context: version ff, all-zero ids, wrong
 * lengths/case) start a new trace, and their `tracestate` is dropped with them.
 */
export function incomingTrace(traceparent: string | string[] | undefined, tracestate: string | string[] | undefined): TraceContext {
  // Two traceparent headers are one too many: which one is meant cannot be known.
  const header = typeof traceparent === 'string' ? traceparent : traceparent?.length === 1 ? traceparent[0] : undefined
  if (header !== undefined && header.length >= 55 && TRACEPARENT.test(header)) {
    const version = header.slice(0, 2)
    const traceId = header.slice(3, 35)
    const parentSpanId = header.slice(36, 52)
    // Version 00 is exactly 55 characters; a later version may add fields after a dash, and only
    // its sampled bit is understood.
    const fits = version === '00' ? header.length === 55 : version !== 'ff' && (header.length === 55 || header[55] === '-')
    if (fits && traceId !== ZERO_TRACE && parentSpanId !== ZERO_SPAN) {
      const flags = header.slice(53, 55)
      return {
        traceId,
        spanId: newSpanId(),
        parentSpanId,
        flags: version === '00' ? flags : (Number.parseInt(flags, 16) & 1) === 1 ? '01' : '00',
        tracestate: tracestateOf(tracestate),
      }
    }
  }
  return { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: undefined, flags: NEW_TRACE_FLAGS, tracestate: undefined }
}

/** Headers for a call this span makes to another service: `traceparent` naming our span as the parent, and `tracestate` passed on. */
export function outgoingTraceHeaders(trace: TraceContext): Record<string, string> {
  const headers: Record<string, string> = { traceparent: `00-${trace.traceId}-${trace.spanId}-${trace.flags}` }
  if (trace.tracestate)
    headers.tracestate = trace.tracestate
  return headers
}

/** Several `tracestate` headers are one list; an oversized one keeps its first members that fit. */
function tracestateOf(value: string | string[] | undefined): string | undefined {
  const list = typeof value === 'string' ? value.trim() : value?.join(',').trim()
  if (!list)
    return undefined
  if (list.length <= TRACESTATE_LIMIT)
    return list
  let kept = ''
  for (const member of list.split(',')) {
    const trimmed = member.trim()
    if (!trimmed)
      continue
    if (kept.length + trimmed.length + 1 > TRACESTATE_LIMIT)
      break
    kept = kept ? `${kept},${trimmed}` : trimmed
  }
  return kept || undefined
}

// Ids are cut from a pool of random hex: one fill and one hex conversion serve about 170
// requests, and each id is then a substring, which V8 makes without copying. The pool is filled
// from Math.random, as OpenTelemetry's JavaScript SDK makes its ids: a trace id must be unique and
// random enough to sample on, not secret. Web Crypto's first `getRandomValues` loads it (~6 ms
// here), which was the largest part of a new service's first call; ~25 ns more per request.
const POOL_BYTES = 4096
let pool = ''
let offset = 0

function randomHex(length: number): string {
  if (offset + length > pool.length) {
    const bytes = Buffer.allocUnsafe(POOL_BYTES)
    for (let i = 0; i < POOL_BYTES; i += 4)
      bytes.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i)
    pool = bytes.toString('hex')
    offset = 0
  }
  const hex = pool.slice(offset, offset + length)
  offset += length
  return hex
}

/** 32 lowercase hex digits, never all zero. */
export function newTraceId(): string {
  let id = randomHex(32)
  while (id === ZERO_TRACE)
    id = randomHex(32)
  return id
}

/** 16 lowercase hex digits, never all zero (a zero parent id is invalid downstream). */
export function newSpanId(): string {
  let id = randomHex(16)
  while (id === ZERO_SPAN)
    id = randomHex(16)
  return id
}
