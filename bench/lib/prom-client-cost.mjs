import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { rolldown } from 'rolldown'
import { loadWorkloads } from './workloads.mjs'

/**
 * Why a service's metrics are src/runtime/server/metrics.ts and not prom-client: the bytes
 * each adds to a service bundle, the cold start of a process that loads it, and the cost of
 * recording one call, for the same series (SPEC §4, `GET /metrics`).
 */

const require = createRequire(import.meta.url)
const METRICS = fileURLToPath(new URL('../../src/runtime/server/metrics.ts', import.meta.url))
const PROM_CLIENT = require.resolve('prom-client')
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
const FUNCTIONS = 10
const INPUTS = 4096

// Each entry records one call and renders once, as a service answering its first scrape would.
const ENTRIES = {
  // Node itself: what every cold start pays whatever it loads.
  node: '',
  femto: `
import { metrics, setMetricsService } from ${JSON.stringify(METRICS)}
setMetricsService('add')
const add = metrics.forFunction('add')
add.start()
add.finish(200, 0.002)
metrics.call('inStock', 'ok', 0)
if (!metrics.render().includes('femto_request_duration_seconds_count')) process.exit(1)
`,
  // The series with the process ones from collectDefaultMetrics(), the usual way to get them.
  promClient: promClientEntry(true),
  // The same without default metrics: what loading the library alone costs.
  promClientNoDefaults: promClientEntry(false),
}

function promClientEntry(defaults) {
  return `
import client from ${JSON.stringify(PROM_CLIENT)}
const registers = [new client.Registry()]
registers[0].setDefaultLabels({ service: 'add' })
${defaults ? 'client.collectDefaultMetrics({ register: registers[0] })' : ''}
const requests = new client.Counter({ name: 'femto_requests_total', help: 'h', labelNames: ['function', 'status'], registers })
const duration = new client.Histogram({ name: 'femto_request_duration_seconds', help: 'h', labelNames: ['function'], buckets: ${JSON.stringify(BUCKETS)}, registers })
const inFlight = new client.Gauge({ name: 'femto_requests_in_flight', help: 'h', labelNames: ['function'], registers })
const calls = new client.Counter({ name: 'femto_calls_total', help: 'h', labelNames: ['target', 'outcome'], registers })
new client.Counter({ name: 'femto_call_retries_total', help: 'h', labelNames: ['target'], registers })
inFlight.inc({ function: 'add' })
inFlight.dec({ function: 'add' })
requests.inc({ function: 'add', status: '200' })
duration.observe({ function: 'add' }, 0.002)
calls.inc({ target: 'inStock', outcome: 'ok' })
if (!(await registers[0].metrics()).includes('femto_request_duration_seconds_count')) process.exit(1)
`
}

export async function promClientCost({ coldStarts = 5, calls = 2_000_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'femto-prom-'))
  try {
    const files = {}
    const bundles = {}
    for (const [name, source] of Object.entries(ENTRIES)) {
      const entry = join(dir, `${name}.entry.mjs`)
      writeFileSync(entry, source)
      files[name] = join(dir, `${name}.mjs`)
      bundles[name] = await bundle(entry, files[name])
    }
    const coldStartMs = coldStart(files, coldStarts)
    // Ours first: prom-client's garbage would otherwise be collected during our loop.
    const { measureMetrics, metricsInputs } = await loadWorkloads()
    const femto = measureMetrics(calls)
    const prom = await measurePromClient(calls, metricsInputs())
    const side = name => ({ bundle: bundles[name], coldStartMs: coldStartMs[name] })
    return {
      node: { coldStartMs: coldStartMs.node },
      femto: { ...side('femto'), nsPerCall: femto.nsPerCall, nsPerRender: femto.nsPerRender },
      promClient: { ...side('promClient'), ...prom, version: require('prom-client/package.json').version },
      promClientNoDefaults: side('promClientNoDefaults'),
    }
  }
  finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Raw and gzip bytes of one entry bundled as a service is: rolldown, node, esm, not minified. */
async function bundle(input, file) {
  const bundler = await rolldown({ input, platform: 'node', logLevel: 'silent' })
  try {
    const { output } = await bundler.generate({ format: 'esm', minify: false })
    writeFileSync(file, output[0].code)
  }
  finally {
    await bundler.close()
  }
  const code = readFileSync(file)
  return { raw: code.length, gzip: gzipSync(code).length }
}

/** Median ms from spawn to exit of `node <bundle>`, the bundles taking turns in each round. */
function coldStart(files, rounds) {
  const times = Object.fromEntries(Object.keys(files).map(name => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, file] of Object.entries(files)) {
      const started = performance.now()
      const run = spawnSync(process.execPath, [file], { stdio: ['ignore', 'ignore', 'pipe'] })
      times[name].push(performance.now() - started)
      if (run.status !== 0)
        throw new Error(`node ${name}.mjs exited ${run.status}: ${run.stderr}`)
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, ms]) => [name, median(ms)]))
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * prom-client recording the same calls as measureMetrics() (10 functions, the same spread of
 * durations and statuses): with label objects, as request handlers write it; plus the in-flight
 * gauge, as our start + finish do; and with label children looked up once, its fastest use.
 */
async function measurePromClient(calls, { durations, statuses }) {
  const client = require('prom-client')
  const registers = [new client.Registry()]
  const requests = new client.Counter({ name: 'femto_requests_total', help: 'h', labelNames: ['function', 'status'], registers })
  const duration = new client.Histogram({ name: 'femto_request_duration_seconds', help: 'h', labelNames: ['function'], buckets: BUCKETS, registers })
  const inFlight = new client.Gauge({ name: 'femto_requests_in_flight', help: 'h', labelNames: ['function'], registers })
  const names = Array.from({ length: FUNCTIONS }, (_, i) => `fn${i}`)
  const withLabels = (n) => {
    for (let i = 0; i < n; i++) {
      const input = i & (INPUTS - 1)
      const name = names[i % FUNCTIONS]
      duration.observe({ function: name }, durations[input])
      requests.inc({ function: name, status: String(statuses[input]) })
    }
  }
  const withInFlight = (n) => {
    for (let i = 0; i < n; i++) {
      const input = i & (INPUTS - 1)
      const name = names[i % FUNCTIONS]
      inFlight.inc({ function: name })
      inFlight.dec({ function: name })
      duration.observe({ function: name }, durations[input])
      requests.inc({ function: name, status: String(statuses[input]) })
    }
  }
  const children = names.map(name => ({ duration: duration.labels(name), inFlight: inFlight.labels(name), byStatus: new Map() }))
  const withChildren = (n) => {
    for (let i = 0; i < n; i++) {
      const input = i & (INPUTS - 1)
      const child = children[i % FUNCTIONS]
      const status = statuses[input]
      let counter = child.byStatus.get(status)
      if (!counter)
        child.byStatus.set(status, counter = requests.labels(names[i % FUNCTIONS], String(status)))
      child.inFlight.inc()
      child.inFlight.dec()
      child.duration.observe(durations[input])
      counter.inc()
    }
  }
  const nsPer = (run) => {
    run(Math.min(calls, 100_000))
    const started = performance.now()
    run(calls)
    return (performance.now() - started) * 1e6 / calls
  }
  const result = { nsPerCall: nsPer(withLabels), nsPerCallWithInFlight: nsPer(withInFlight), nsPerCallChildren: nsPer(withChildren) }
  for (let i = 0; i < 20; i++)
    await registers[0].metrics()
  const rounds = 500
  const started = performance.now()
  for (let i = 0; i < rounds; i++)
    await registers[0].metrics()
  return { ...result, nsPerRender: (performance.now() - started) * 1e6 / rounds }
}
