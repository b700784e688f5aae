import type { RequestRecord } from '../../src/runtime/server/log'
import { createLogger } from '../../src/runtime/server/log'
import { incomingTrace } from '../../src/runtime/server/trace'

/** Nanoseconds per call of `run(i)`, after a warm-up that lets V8 optimize it. */
function nsPer(count: number, run: (i: number) => void): number {
  for (let i = 0; i < Math.min(count, 20_000); i++)
    run(i)
  const start = process.hrtime.bigint()
  for (let i = 0; i < count; i++)
    run(i)
  return Number(process.hrtime.bigint() - start) / count
}

/**
 * What one request line costs, as a service pays it: building the line, buffering it, and the
 * buffer's writes, into a sink that does nothing. The records vary as real ones do.
 */
export function measureLogger(lines = 200_000): { json: number, pretty: number } {
  const records: RequestRecord[] = Array.from({ length: 64 }, (_, i) => {
    const trace = incomingTrace(i % 2 ? `00-4bf92f3577b34da6a3ce929d0e0e${(4736 + i).toString(16)}-00f067aa0ba902b7-01` : undefined, undefined)
    return {
      service: 'add',
      function: 'add',
      requestId: `k3j9x2m1-${(i * 7919).toString(36)}`,
      traceId: trace.traceId,
      spanId: trace.spanId,
      parentSpanId: trace.parentSpanId,
      status: i % 16 === 0 ? 400 : 200,
      durationMs: 0.1 + i / 37,
      code: i % 16 === 0 ? 'INVALID_ARGUMENT' : undefined,
    }
  })
  const result = { json: 0, pretty: 0 }
  for (const format of ['json', 'pretty'] as const) {
    const logger = createLogger({ service: 'add', level: 'info', format, write: () => {} })
    result[format] = nsPer(lines, i => logger.request(records[i & 63]!))
    logger.flush()
  }
  return result
}

/** What reading (or starting) a request's trace context costs, with and without a `traceparent`. */
export function measureTrace(calls = 200_000): { present: number, absent: number } {
  const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  return {
    present: nsPer(calls, () => incomingTrace(header, 'congo=t61rcWkgMzE')),
    absent: nsPer(calls, () => incomingTrace(undefined, undefined)),
  }
}
