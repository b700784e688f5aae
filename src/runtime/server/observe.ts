import type { Call } from './call-record'
import type { Logger } from './log'
import type { SpanExporter } from './otlp'
import { traceOf } from './call-record'
import { EPOCH_MS_AT_ZERO, now } from './clock'
import { createLogger } from './log'
import { metrics, setMetricsService } from './metrics'
import { createSpanExporter } from './otlp'

/**
 * What every answered call leaves behind, with nothing for the user to write: its metrics, one
 * structured log line (a span, with its trace ids), and the span itself when OpenTelemetry
 * export is configured. One instance per process: a service, or the router.
 */
let service = ''
let logger: Logger | undefined
let exporter: SpanExporter | undefined

export function startObserving(name: string): Logger {
  service = name
  setMetricsService(name)
  logger = createLogger({ service: name })
  exporter = createSpanExporter(name)
  return logger
}

export function currentLogger(): Logger | undefined {
  return logger
}

/** Flushes what is buffered (logs, spans): at shutdown. */
export async function flushObservations(): Promise<void> {
  logger?.flush()
  await exporter?.flush()
}

/** Once per call, whichever way it ends (answered, timed out, refused, its caller gone). */
export function observe(call: Call, status: number, code: string | undefined): void {
  if (call.observed)
    return
  call.observed = true
  const { fn, requestId, start } = call
  const durationMs = now() - start
  call.entry.metrics.finish(status, durationMs / 1000)
  const logged = logger !== undefined && logger.enabled(status >= 500 ? 'warn' : 'info')
  if (!logged && !exporter)
    return
  const trace = traceOf(call)
  if (logged)
    logger!.request({ service, function: fn.name, requestId, traceId: trace.traceId, spanId: trace.spanId, parentSpanId: trace.parentSpanId, status, durationMs, code })
  // Only sampled traces are exported (the caller decided, through its traceparent's flags).
  if (exporter && (trace.flags === '01' || (Number.parseInt(trace.flags, 16) & 1) === 1)) {
    exporter.export({
      traceId: trace.traceId,
      spanId: trace.spanId,
      parentSpanId: trace.parentSpanId,
      name: `POST ${fn.name}`,
      kind: 'server',
      startMs: EPOCH_MS_AT_ZERO + start,
      durationMs,
      status,
      attributes: { 'femto.function': fn.name, 'femto.request_id': requestId, ...(code ? { 'femto.error_code': code } : {}) },
    })
  }
}

export { metrics }
