import type { FunctionMetrics } from '../../src/runtime/server/metrics'
import { createMetrics } from '../../src/runtime/server/metrics'

export interface MetricsMeasure {
  /** Nanoseconds per `start()` + `finish()` pair, the loop that drives them included. */
  nsPerCall: number
  /** Nanoseconds per `render()` of a registry with `functions` functions that all have been called. */
  nsPerRender: number
  /** Bytes of that rendered text. */
  renderBytes: number
  functions: number
}

const FUNCTIONS = 10
// Enough distinct inputs that branch prediction cannot learn the sequence; a power of 2 for `&`.
const INPUTS = 4096

/**
 * The cost of the metrics on the request path, with 10 functions as one grouped service would
 * have: durations spread over every bucket, mostly 200s with some 400s, 500s and 499s. Runs in
 * this process, so call it where nothing else is running.
 */
export function measureMetrics(calls = 5_000_000): MetricsMeasure {
  const registry = createMetrics('measure')
  const handles = Array.from({ length: FUNCTIONS }, (_, i) => registry.forFunction(`fn${i}`))
  const { durations, statuses } = metricsInputs()
  drive(handles, durations, statuses, Math.min(calls, 200_000)) // warm-up: let the JIT optimize
  const started = performance.now()
  drive(handles, durations, statuses, calls)
  const nsPerCall = (performance.now() - started) * 1e6 / calls
  return { nsPerCall, ...measureRender(registry.render), functions: FUNCTIONS }
}

/** The calls both registries record (bench/lib/prom-client-cost.mjs feeds prom-client the same). */
export function metricsInputs(): { durations: Float64Array, statuses: Int32Array } {
  const durations = new Float64Array(INPUTS)
  const statuses = new Int32Array(INPUTS)
  let seed = 1
  const random = (): number => {
    // A fixed LCG: the same inputs on every run, so runs compare.
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  for (let i = 0; i < INPUTS; i++) {
    // Log-uniform from 0.1 ms to 20 s: every bucket gets calls.
    durations[i] = 1e-4 * 2e5 ** random()
    const r = random()
    statuses[i] = r < 0.9 ? 200 : r < 0.95 ? 400 : r < 0.98 ? 500 : 499
  }
  return { durations, statuses }
}

function drive(handles: FunctionMetrics[], durations: Float64Array, statuses: Int32Array, calls: number): void {
  for (let i = 0; i < calls; i++) {
    const handle = handles[i % FUNCTIONS]!
    const input = i & (INPUTS - 1)
    handle.start()
    handle.finish(statuses[input]!, durations[input]!)
  }
}

function measureRender(render: () => string): { nsPerRender: number, renderBytes: number } {
  let bytes = 0
  for (let i = 0; i < 50; i++)
    bytes = render().length
  const rounds = 2000
  const started = performance.now()
  for (let i = 0; i < rounds; i++)
    bytes = render().length
  return { nsPerRender: (performance.now() - started) * 1e6 / rounds, renderBytes: bytes }
}
