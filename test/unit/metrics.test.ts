import type { PromHistogramData, PromMetrics } from 'prom2javascript'
import type { Registry } from '../../src/runtime/server/metrics'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { getMetricsFromIterator } from 'prom2javascript'
import { describe, expect, it } from 'vitest'
import { createMetrics, escapeLabel, metrics, METRICS_CONTENT_TYPE, setMetricsService } from '../../src/runtime/server/metrics'

// Two real parsers of the text format, each for what it gets right: prom2javascript groups
// labelled histograms (and rejects one whose +Inf bucket is not its _count), which
// parse-prometheus-text-format cannot (yunyu/parse-prometheus-text-format#13); the latter's
// sample parser is a port of the official Python client's, and unescapes every label value
// exactly, where prom2javascript fails on a value ending in a backslash.
interface TextFamily { name: string, type: string, metrics: { value?: string, labels?: Record<string, string> }[] }
const parseText = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => TextFamily[]

function parse(text: string): Promise<PromMetrics> {
  return getMetricsFromIterator(text.split('\n')[Symbol.iterator]())
}

const LE = ['0.001', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']

/** A registry after a known mix of calls: what every test below reads. */
function knownMix(): Registry {
  const registry = createMetrics('shop')
  const add = registry.forFunction('add')
  const charge = registry.forFunction('charge')
  registry.forFunction('idle')
  const answer = (status: number, seconds: number): void => {
    add.start()
    add.finish(status, seconds)
  }
  answer(200, 0.0005)
  answer(200, 0.0005)
  answer(200, 0.0005)
  answer(400, 0.001) // on a bound: `le` is inclusive
  answer(200, 0.003)
  answer(500, 0.7)
  answer(504, 12) // past the last bound: +Inf only
  charge.start()
  charge.start()
  charge.finish(499, 0.02)
  registry.call('inStock', 'ok', 0)
  registry.call('inStock', 'ok', 0)
  registry.call('inStock', 'UNAVAILABLE', 3)
  registry.call('price', 'TIMEOUT', 1)
  return registry
}

/** `{ 'a|b': value }` of a family's samples, keyed by the values of `keys`. */
function byLabels(parsed: PromMetrics, name: string, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const sample of parsed[name]!.data as { labels: Record<string, string>, value: number }[])
    out[keys.map(key => sample.labels[key]).join('|')] = sample.value
  return out
}

describe('render() after a known mix of calls', () => {
  it('counts each function by the statuses it answered, and only those', async () => {
    const parsed = await parse(knownMix().render())
    expect(parsed.femto_requests_total!.type).toBe('counter')
    expect(byLabels(parsed, 'femto_requests_total', ['function', 'status'])).toEqual({
      'add|200': 4,
      'add|400': 1,
      'add|500': 1,
      'add|504': 1,
      'charge|499': 1,
    })
  })

  it('renders cumulative histograms whose +Inf bucket is their _count, zeros for a function never called', async () => {
    const parsed = await parse(knownMix().render())
    const family = parsed.femto_request_duration_seconds!
    expect(family.type).toBe('histogram')
    const histograms: Record<string, PromHistogramData> = Object.fromEntries((family.data as PromHistogramData[]).map(h => [h.labels.function, h]))
    expect(Object.keys(histograms).sort()).toEqual(['add', 'charge', 'idle'])
    const cumulative = (h: PromHistogramData): number[] => LE.map(le => h.buckets[le]!)
    expect(cumulative(histograms.add!)).toEqual([4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 7])
    expect(histograms.add!.count).toBe(7)
    expect(histograms.add!.sum).toBeCloseTo(3 * 0.0005 + 0.001 + 0.003 + 0.7 + 12, 12)
    expect(cumulative(histograms.charge!)).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    expect(histograms.charge!.count).toBe(1)
    expect(histograms.charge!.sum).toBeCloseTo(0.02, 12)
    expect(cumulative(histograms.idle!)).toEqual(Array.from(LE, () => 0))
    expect([histograms.idle!.count, histograms.idle!.sum]).toEqual([0, 0])
    for (const h of Object.values(histograms)) {
      const counts = cumulative(h)
      expect(counts).toEqual([...counts].sort((a, b) => a - b))
      expect(counts.at(-1)).toBe(h.count)
    }
  })

  it('gauges the calls in flight, zero for functions not running', async () => {
    const parsed = await parse(knownMix().render())
    expect(parsed.femto_requests_in_flight!.type).toBe('gauge')
    expect(byLabels(parsed, 'femto_requests_in_flight', ['function'])).toEqual({ add: 0, charge: 1, idle: 0 })
  })

  it('counts calls to other services by outcome, and their retries', async () => {
    const parsed = await parse(knownMix().render())
    expect(byLabels(parsed, 'femto_calls_total', ['target', 'outcome'])).toEqual({ 'inStock|ok': 2, 'inStock|UNAVAILABLE': 1, 'price|TIMEOUT': 1 })
    expect(byLabels(parsed, 'femto_call_retries_total', ['target'])).toEqual({ inStock: 3, price: 1 })
    expect([parsed.femto_calls_total!.type, parsed.femto_call_retries_total!.type]).toEqual(['counter', 'counter'])
  })

  it('has the process series under prom-client\'s names, and the service label on every sample', async () => {
    const text = knownMix().render()
    const parsed = await parse(text)
    const types = {
      process_cpu_user_seconds_total: 'counter',
      process_cpu_system_seconds_total: 'counter',
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      process_heap_bytes: 'gauge',
      process_start_time_seconds: 'gauge',
      nodejs_version_info: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    }
    for (const [name, type] of Object.entries(types)) {
      expect(parsed[name]?.type, name).toBe(type)
      expect(parsed[name]!.help, name).not.toBe('')
    }
    const value = (name: string): number => (parsed[name]!.data[0] as { value: number }).value
    expect(value('process_cpu_seconds_total')).toBeCloseTo(value('process_cpu_user_seconds_total') + value('process_cpu_system_seconds_total'), 6)
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(value('process_heap_bytes'))
    expect(Math.abs(value('process_start_time_seconds') - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5)
    expect(parsed.nodejs_version_info!.data).toEqual([{ labels: expect.objectContaining({ version: process.version }), value: 1 }])
    // Each family once, with HELP and TYPE before its samples, and every sample labelled.
    const families = parseText(text)
    expect(new Set(families.map(f => f.name)).size).toBe(families.length)
    for (const family of families.filter(f => f.type !== 'HISTOGRAM')) {
      for (const sample of family.metrics)
        expect(sample.labels?.service, family.name).toBe('shop')
    }
    expect(text.match(/^\w+\{service="shop"[,}]/gm)?.length).toBe(text.split('\n').filter(line => line && !line.startsWith('#')).length)
  })
})

const tricky = ['q"uote', 'back\\slash', 'ends in \\', 'literal \\n', 'line\nfeed', '\\"', 'a,b="c"}{', 'ünï ✓', '']

/** Every tricky string as a service, function, target and outcome. */
function trickyRegistry(): Registry {
  const registry = createMetrics('svc "one"\\\n')
  for (const name of tricky) {
    registry.forFunction(name).start()
    registry.call(name, name, 0)
  }
  return registry
}

describe('label values', () => {
  it('are escaped as the format requires, and parse back to themselves', () => {
    const families = parseText(trickyRegistry().render())
    const labels = (name: string): Record<string, string>[] => families.find(f => f.name === name)!.metrics.map(m => m.labels!)
    expect(labels('femto_requests_in_flight').map(l => l.function)).toEqual(tricky)
    expect(labels('femto_calls_total').map(l => [l.target, l.outcome])).toEqual(tricky.map(name => [name, name]))
    for (const l of labels('femto_calls_total'))
      expect(l.service).toBe('svc "one"\\\n')
  })

  it('escape backslash, double quote and line feed, and nothing else', () => {
    expect(escapeLabel('a"b\\c\nd\te')).toBe('a\\"b\\\\c\\nd\te')
    expect(escapeLabel('plain')).toBe('plain')
  })
})

describe('edge cases', () => {
  it('counts a status outside the usual range, and durations that are not a number as 0', async () => {
    const registry = createMetrics('edge')
    const fn = registry.forFunction('f')
    for (const [status, seconds] of [[799, Number.NaN], [799, -1], [200, 0]] as const) {
      fn.start()
      fn.finish(status, seconds)
    }
    const parsed = await parse(registry.render())
    expect(byLabels(parsed, 'femto_requests_total', ['status'])).toEqual({ 200: 1, 799: 2 })
    const [histogram] = parsed.femto_request_duration_seconds!.data as PromHistogramData[]
    expect([histogram!.buckets['0.001'], histogram!.count, histogram!.sum]).toEqual([3, 3, 0])
  })

  it('hands out one series per function name', () => {
    const registry = createMetrics()
    expect(registry.forFunction('f')).toBe(registry.forFunction('f'))
  })

  it('reports the event-loop lag from the second render on', async () => {
    const registry = createMetrics('loop')
    registry.render() // starts the monitor, if no render in this process has
    await sleep(60)
    const lag = (await parse(registry.render())).nodejs_eventloop_lag_seconds!.data as { value: number }[]
    expect(lag).toHaveLength(1)
    expect(lag[0]!.value).toBeGreaterThanOrEqual(0)
    expect(lag[0]!.value).toBeLessThan(1)
  })

  it('labels the process registry with the service set at start-up', async () => {
    setMetricsService('checkout')
    metrics.forFunction('pay').start()
    const parsed = await parse(metrics.render())
    expect(parsed.femto_requests_in_flight!.data).toEqual([{ labels: { service: 'checkout', function: 'pay' }, value: 1 }])
    expect(METRICS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
  })

  // Prometheus's own parser and linter, where Debian's `prometheus` package is installed.
  it.runIf(existsSync('/usr/bin/promtool'))('passes `promtool check metrics`', () => {
    for (const text of [knownMix().render(), trickyRegistry().render()])
      expect(() => execFileSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow()
  })
})
