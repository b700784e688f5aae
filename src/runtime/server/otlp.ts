import { femtoRuntimeEnv } from './env'

export interface SpanRecord {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: 'server' | 'client'
  /** Epoch milliseconds, may be fractional (`EPOCH_MS_AT_ZERO + now()`, clock.ts). */
  startMs: number
  durationMs: number
  /** The HTTP status of the answer. */
  status: number
  attributes?: Record<string, string | number | boolean>
}

export interface SpanExporter {
  /** Queues a span; never throws, never waits. */
  export: (span: SpanRecord) => void
  /** Sends what is queued and waits for every export under way; never rejects. */
  flush: () => Promise<void>
}

const BATCH_SIZE = 512
const QUEUE_LIMIT = 2048
const INTERVAL_MS = 1000
const EXPORT_TIMEOUT_MS = 10_000
const WARN_EVERY_MS = 60_000
const KIND = { server: 2, client: 3 } as const

/**
 * An OTLP/HTTP JSON span exporter, from the standard variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * (the full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`), `OTEL_EXPORTER_OTLP_HEADERS`
 * (`k=v,k2=v2`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`), `OTEL_SERVICE_NAME` over the service's
 * own name. `undefined` when no endpoint is set or `OTEL_SDK_DISABLED=true`, so a service without
 * a collector pays nothing.
 */
export function createSpanExporter(serviceName: string, env: NodeJS.ProcessEnv = femtoRuntimeEnv): SpanExporter | undefined {
  const endpoint = endpointOf(env)
  if (!endpoint || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true')
    return undefined
  // The hoisted functions below do not see `endpoint` narrowed to a string.
  const url = endpoint
  const headers = { ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS), 'content-type': 'application/json' }
  const resource = { attributes: [keyValue('service.name', env.OTEL_SERVICE_NAME?.trim() || serviceName)] }
  // Credentials in the URL stay out of the warnings.
  const warn = warner(url.replace(/\/\/[^/@]*@/, '//'))

  const queue: SpanRecord[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  // One export at a time: while it is under way spans wait in the bounded queue, so a slow
  // collector costs at most QUEUE_LIMIT spans of memory, not a pile of requests in flight.
  let sending: Promise<void> | undefined
  let overflow = 0

  function send(): void {
    clearTimeout(timer)
    timer = undefined
    if (sending || queue.length === 0)
      return
    const batch = queue.splice(0, BATCH_SIZE)
    const dropped = overflow
    overflow = 0
    sending = post(url, headers, resource, batch, dropped, warn).finally(() => {
      sending = undefined
      if (queue.length >= BATCH_SIZE)
        send()
      else if (queue.length > 0)
        schedule()
    })
  }
  function schedule(): void {
    // An unref'd timer: a queue of spans never keeps a service alive.
    timer ??= setTimeout(send, INTERVAL_MS).unref()
  }
  const busy = (): boolean => sending !== undefined || queue.length > 0

  return {
    export: (span) => {
      // A collector that is away or slow must not grow the queue without end: the oldest go first.
      if (queue.push(span) > QUEUE_LIMIT) {
        queue.shift()
        overflow++
      }
      if (queue.length >= BATCH_SIZE)
        send()
      else
        schedule()
    },
    flush: async () => {
      while (busy()) {
        send()
        await sending
      }
    },
  }
}

function endpointOf(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
  if (traces)
    return traces
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined
}

/** `k=v,k2=v2`, values percent-encoded as the OpenTelemetry spec says; malformed pairs are skipped. */
function parseHeaders(value: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of value?.split(',') ?? []) {
    const eq = pair.indexOf('=')
    const key = pair.slice(0, eq).trim().toLowerCase()
    if (eq <= 0 || !key)
      continue
    const raw = pair.slice(eq + 1).trim()
    try {
      headers[key] = decodeURIComponent(raw)
    }
    catch {
      headers[key] = raw
    }
  }
  return headers
}

/** One warning line on stderr per minute at most: a collector that is down stays quiet. */
function warner(url: string): (reason: string, spans: number) => void {
  let last = -Infinity
  let dropped = 0
  return (reason, spans) => {
    dropped += spans
    const now = Date.now()
    if (now - last < WARN_EVERY_MS)
      return
    last = now
    process.stderr.write(`[femto] could not export spans to ${url}: ${reason}; dropped ${dropped} span(s) (warning at most once a minute)\n`)
    dropped = 0
  }
}

/** POSTs one batch; any failure drops it with a warning and resolves. */
async function post(url: string, headers: Record<string, string>, resource: object, batch: SpanRecord[], dropped: number, warn: (reason: string, spans: number) => void): Promise<void> {
  if (dropped > 0)
    warn(`the queue was full (${QUEUE_LIMIT} spans)`, dropped)
  try {
    const body = JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'unplugin-femto' }, spans: batch.map(otlpSpan) }] }] })
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS) })
    // The answer is read whole so the connection goes back to the pool.
    const text = await response.text()
    if (!response.ok)
      warn(`HTTP ${response.status}${text ? ` ${text.slice(0, 200)}` : ''}`, batch.length)
  }
  catch (error) {
    const cause = (error as { cause?: { code?: string, message?: string } }).cause
    warn(cause?.code ?? cause?.message ?? (error as Error).message ?? String(error), batch.length)
  }
}

function otlpSpan(span: SpanRecord): object {
  const start = nanos(span.startMs)
  const attributes = [keyValue('http.response.status_code', span.status)]
  for (const key in span.attributes)
    attributes.push(keyValue(key, span.attributes[key]!))
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: KIND[span.kind],
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: (start + BigInt(Number.isFinite(span.durationMs) ? Math.max(0, Math.round(span.durationMs * 1e6)) : 0)).toString(),
    attributes,
    status: { code: span.status >= 500 ? 2 : 0 },
  }
}

/** Epoch nanoseconds, exact: a double of epoch nanoseconds would be off by hundreds. */
function nanos(ms: number): bigint {
  if (!Number.isFinite(ms))
    ms = Date.now()
  const whole = Math.floor(ms)
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6))
}

type AnyValue = { stringValue: string } | { boolValue: boolean } | { intValue: string } | { doubleValue: number }

function keyValue(key: string, value: string | number | boolean): { key: string, value: AnyValue } {
  if (typeof value === 'string')
    return { key, value: { stringValue: value } }
  if (typeof value === 'boolean')
    return { key, value: { boolValue: value } }
  // int64 is a decimal string in OTLP JSON, as in protobuf's JSON mapping.
  return { key, value: Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value } }
}
