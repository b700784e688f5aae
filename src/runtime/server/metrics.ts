import type { IntervalHistogram } from 'node:perf_hooks'

/**
 * The Prometheus metrics of a service (SPEC §4, `GET /metrics`), without prom-client: its
 * labelled `observe`/`inc` hash label objects on every call, and it adds to every bundle and
 * to every cold start (bench/lib/prom-client-cost.mjs measures both). Here a function's series
 * are created once, at start-up, and a call only bumps numbers in typed arrays.
 */

export interface FunctionMetrics {
  /** A call of this function starts (after routing): in-flight + 1. */
  start: () => void
  /** It was answered: in-flight - 1, requests_total{status} + 1, duration histogram. `seconds` from performance.now() differences. */
  finish: (status: number, seconds: number) => void
}

export interface Metrics {
  /**
   * Called once per function at start-up; the object is kept on the hot path. `contract`: the
   * function's, a label of its series, so that the calls of each version are counted apart while
   * a previous version is served beside the new one (version skew).
   */
  forFunction: (name: string, contract?: string) => FunctionMetrics
  /** A call this process made to another service finished: outcome 'ok' or the FemtoError code ('UNAVAILABLE', 'TIMEOUT', …); retries = attempts - 1. */
  call: (target: string, outcome: string, retries: number) => void
  /** Prometheus text exposition format 0.0.4, with HELP and TYPE lines. */
  render: () => string
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** Upper bounds of the duration buckets, in seconds; `+Inf` comes after them. */
const BOUNDS = new Float64Array([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
const BOUND_COUNT = BOUNDS.length
const LE = [...Array.from(BOUNDS, String), '+Inf']
/** Where a function's histogram array keeps the sum of durations, after the 13 bucket counts. */
const SUM = BOUND_COUNT + 1
/**
 * Statuses below this are counted in an array indexed by the status itself: no hashing and no
 * allocation per call. Node allows statuses up to 999; the rare other ones go to a map.
 */
const STATUS_SLOTS = 600

interface FunctionSeries {
  /** `function="…",contract="…"`, escaped once. */
  label: string
  inFlight: number
  /** Count of each bucket on its own (one increment per call; cumulated when rendered), then the sum. */
  histogram: Float64Array
  byStatus: Float64Array
  /** Statuses not in `byStatus`. */
  otherStatus: Map<number, number>
  /** Statuses seen so far, ascending: a status never answered has no series. */
  statuses: number[]
}

interface CallSeries {
  label: string
  outcomes: Map<string, number>
  retries: number
}

export interface Registry extends Metrics {
  /** The value of the `service` label on every series. */
  service: string
}

/** A registry of its own; the process's is `metrics`. Exported for tests and the benchmark. */
export function createMetrics(service = ''): Registry {
  const functions = new Map<string, { series: FunctionSeries, handle: FunctionMetrics }>()
  const calls = new Map<string, CallSeries>()
  const registry: Registry = {
    service,
    forFunction(name, contract) {
      let entry = functions.get(name)
      if (!entry) {
        const series = newFunctionSeries(name, contract)
        entry = { series, handle: functionHandle(series) }
        functions.set(name, entry)
      }
      return entry.handle
    },
    call(target, outcome, retries) {
      let series = calls.get(target)
      if (!series) {
        series = { label: `target="${escapeLabel(target)}"`, outcomes: new Map(), retries: 0 }
        calls.set(target, series)
      }
      series.outcomes.set(outcome, (series.outcomes.get(outcome) ?? 0) + 1)
      if (retries > 0)
        series.retries += retries
    },
    render() {
      const service = `service="${escapeLabel(registry.service)}"`
      const all = Array.from(functions.values(), entry => entry.series)
      return renderFunctions(service, all) + renderCalls(service, [...calls.values()]) + renderProcess(service)
    },
  }
  return registry
}

/** One registry per process: the service's request path and its stubs (service-to-service calls) share it. */
const processRegistry = createMetrics()
export const metrics: Metrics = processRegistry

/** Sets the `service` label value used on every series. */
export function setMetricsService(service: string): void {
  processRegistry.service = service
}

function newFunctionSeries(name: string, contract: string | undefined): FunctionSeries {
  return {
    label: `function="${escapeLabel(name)}"${contract ? `,contract="${escapeLabel(contract)}"` : ''}`,
    inFlight: 0,
    histogram: new Float64Array(BOUND_COUNT + 2),
    byStatus: new Float64Array(STATUS_SLOTS),
    otherStatus: new Map(),
    statuses: [],
  }
}

/**
 * The hot path: closures over the series' arrays, so a call is a few stores into memory that
 * already exists. Typed arrays hold the doubles: a double stored in a plain variable or
 * property may be boxed anew on every change.
 */
function functionHandle(series: FunctionSeries): FunctionMetrics {
  const { histogram, byStatus } = series
  return {
    start: () => {
      series.inFlight++
    },
    finish: (status, seconds) => {
      series.inFlight--
      if (status >= 0 && status < STATUS_SLOTS && (status | 0) === status) {
        if (byStatus[status]!++ === 0)
          addStatus(series, status)
      }
      else {
        countOtherStatus(series, status)
      }
      // NaN or a negative duration (a clock that stepped back) would poison the sum forever.
      if (!(seconds >= 0))
        seconds = 0
      let bucket = 0
      while (bucket < BOUND_COUNT && seconds > BOUNDS[bucket]!)
        bucket++
      histogram[bucket]!++
      histogram[SUM]! += seconds
    },
  }
}

function countOtherStatus(series: FunctionSeries, status: number): void {
  const count = series.otherStatus.get(status) ?? 0
  series.otherStatus.set(status, count + 1)
  if (count === 0)
    addStatus(series, status)
}

/** Once per status and function: keeps the rendered order stable. */
function addStatus(series: FunctionSeries, status: number): void {
  series.statuses.push(status)
  series.statuses.sort((a, b) => a - b)
}

function statusCount(series: FunctionSeries, status: number): number {
  return status >= 0 && status < STATUS_SLOTS && (status | 0) === status ? series.byStatus[status]! : series.otherStatus.get(status) ?? 0
}

function header(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
}

function renderFunctions(service: string, all: FunctionSeries[]): string {
  let out = header('femto_requests_total', 'counter', 'Calls of a femto function answered, by HTTP status (499: the caller went away).')
  for (const series of all) {
    for (const status of series.statuses)
      out += `femto_requests_total{${service},${series.label},status="${status}"} ${number(statusCount(series, status))}\n`
  }
  out += header('femto_request_duration_seconds', 'histogram', 'Time from the start of a call to its answer, in seconds.')
  for (const series of all)
    out += renderHistogram(`${service},${series.label}`, series.histogram)
  out += header('femto_requests_in_flight', 'gauge', 'Calls of a femto function running now.')
  for (const series of all)
    out += `femto_requests_in_flight{${service},${series.label}} ${series.inFlight}\n`
  return out
}

/**
 * Every function's histogram is rendered from the start, zeros included, so that `rate()` and
 * `increase()` see its first calls (a series that appears with a count of 1 loses them).
 */
function renderHistogram(labels: string, histogram: Float64Array): string {
  let out = ''
  let cumulative = 0
  for (let i = 0; i <= BOUND_COUNT; i++) {
    cumulative += histogram[i]!
    out += `femto_request_duration_seconds_bucket{${labels},le="${LE[i]}"} ${number(cumulative)}\n`
  }
  out += `femto_request_duration_seconds_sum{${labels}} ${number(histogram[SUM]!)}\n`
  out += `femto_request_duration_seconds_count{${labels}} ${number(cumulative)}\n`
  return out
}

function renderCalls(service: string, all: CallSeries[]): string {
  let out = header('femto_calls_total', 'counter', 'Calls this process made to other femto services, by outcome: ok, or the error code.')
  for (const series of all) {
    for (const [outcome, count] of series.outcomes)
      out += `femto_calls_total{${service},${series.label},outcome="${escapeLabel(outcome)}"} ${number(count)}\n`
  }
  out += header('femto_call_retries_total', 'counter', 'Retries of calls this process made to other femto services (attempts beyond the first).')
  for (const series of all)
    out += `femto_call_retries_total{${service},${series.label}} ${number(series.retries)}\n`
  return out
}

// Once per process: the start time and the Node version do not change.
const START_TIME_SECONDS = Math.round(Date.now() - process.uptime() * 1000) / 1000
const [MAJOR, MINOR, PATCH] = process.versions.node.split('.')
const VERSION_LABELS = `version="${process.version}",major="${MAJOR}",minor="${MINOR}",patch="${PATCH}"`

const LAG_HELP = 'Mean lag of the event loop since the previous scrape, in seconds (absent before the second scrape).'
const LAG_RESOLUTION_MS = 10
let loopDelay: IntervalHistogram | undefined

/** The process series, under the names prom-client's default metrics use. */
function renderProcess(service: string): string {
  const cpu = process.cpuUsage()
  const memory = process.memoryUsage()
  const lines = [
    sample('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', service, cpu.user / 1e6),
    sample('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', service, cpu.system / 1e6),
    sample('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', service, (cpu.user + cpu.system) / 1e6),
    sample('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', service, START_TIME_SECONDS),
    sample('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', service, memory.rss),
    sample('process_heap_bytes', 'gauge', 'V8 heap in use in bytes (process.memoryUsage().heapUsed; prom-client reports the process data segment).', service, memory.heapUsed),
    sample('nodejs_version_info', 'gauge', 'Node.js version info.', `${service},${VERSION_LABELS}`, 1),
  ]
  const lag = eventLoopLagSeconds()
  lines.push(lag === undefined
    ? header('nodejs_eventloop_lag_seconds', 'gauge', LAG_HELP)
    : sample('nodejs_eventloop_lag_seconds', 'gauge', LAG_HELP, service, lag))
  return lines.join('')
}

function sample(name: string, type: string, help: string, labels: string, value: number): string {
  return `${header(name, type, help)}${name}{${labels}} ${number(value)}\n`
}

/**
 * Node's event-loop delay monitor is a native timer: nothing runs in JavaScript per request, or
 * at all between scrapes. It starts on the first scrape, so a service nobody scrapes never
 * runs it, nor loads `perf_hooks`. Its samples are the timer's whole period; the lag is what
 * exceeds the resolution.
 */
function eventLoopLagSeconds(): number | undefined {
  if (!loopDelay) {
    const { monitorEventLoopDelay } = process.getBuiltinModule('node:perf_hooks')
    loopDelay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS })
    loopDelay.enable()
    return undefined
  }
  if (loopDelay.count === 0)
    return undefined
  const lag = Math.max(0, loopDelay.mean / 1e9 - LAG_RESOLUTION_MS / 1000)
  loopDelay.reset()
  return lag
}

/** A sample value as the format spells it: Go's float syntax, with `+Inf`, `-Inf` and `NaN`. */
function number(value: number): string {
  if (Number.isFinite(value))
    return String(value)
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'
}

const NEEDS_ESCAPE = /[\\"\n]/

/** A label value escaped as the format requires: backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value))
    return value
  return value.replace(/[\\"\n]/g, c => (c === '\n' ? '\\n' : `\\${c}`))
}
