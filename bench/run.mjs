// npm run bench [-- --quick] [--out FILE] [--only section,section]
// Every figure is a ratio against a baseline measured in the same run: these machines are noisy.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startServer } from './lib/processes.mjs'
import { bundleBytes, coldStart, memory, sequentialCalls, textBytes, throughput, viteBuildTime } from './lib/sections.mjs'
import { summarize } from './lib/stats.mjs'
import { loadWorkloads } from './lib/workloads.mjs'

const ROOT = join(import.meta.dirname, '..')
const VITE = join(ROOT, 'node_modules/vite/bin/vite.js')
// The build section's generated projects; bench/.work also holds the bundled workloads (lib/workloads.mjs).
const WORK = join(import.meta.dirname, '.work/builds')
const FIXTURE = join(import.meta.dirname, 'fixture')
const BASE = join(import.meta.dirname, 'baselines')

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    out: { type: 'string', default: join(import.meta.dirname, 'RESULTS.md') },
    only: { type: 'string' },
  },
})
const quick = !!flags.quick
const only = flags.only ? new Set(flags.only.split(',')) : undefined
const want = section => !only || only.has(section)
const log = message => process.stderr.write(`[bench] ${message}\n`)

const fmt = (v, digits = 2) => (v >= 100 ? v.toFixed(0) : v.toFixed(digits))
const triple = (s, digits) => `${fmt(s.min, digits)} / ${fmt(s.median, digits)} / ${fmt(s.max, digits)}`
const rows = []
const section = (title, intro) => rows.push(`\n## ${title}\n\n${intro}\n\n`)
const table = (header, lines) => rows.push(`| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|\n${lines.map(l => `| ${l.join(' | ')} |`).join('\n')}\n`)
const goals = []
/**
 * A goal's figure, recorded for the Goals table. `floor`: the same ratio for the least that the
 * design must do (measured in this run, without the plugin), where there is one: a goal below it
 * cannot be met by work on the plugin alone.
 */
function goal(what, value, limit, higherIsBetter, floor) {
  const met = higherIsBetter ? value >= limit : value <= limit
  goals.push([what, `${fmt(value)}×`, `${higherIsBetter ? '≥' : '≤'} ${limit}×`, met ? 'met' : '**missed**', floor === undefined ? '' : `${fmt(floor)}×`])
  return `${fmt(value)}×`
}

function versionOf(pkg) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version
}

log(`building the bench fixture with vite ${versionOf('vite')}`)
rmSync(join(FIXTURE, 'dist'), { recursive: true, force: true })
// Only caches live there; while it exists, Vite bundles vite.config.ts into node_modules/.vite-temp,
// from where the package's self-reference (`unplugin-femto/vite`) does not resolve.
rmSync(join(FIXTURE, 'node_modules'), { recursive: true, force: true })
viteBuildTime(VITE, FIXTURE)
const service = join(FIXTURE, 'dist/servers/add.js')
const router = join(FIXTURE, 'dist/servers/router.js')
const bare = join(BASE, 'bare-http.mjs')

if (want('throughput')) {
  const seconds = quick ? 1 : 10
  const rounds = quick ? 1 : 5
  log(`throughput: ${rounds} round(s) of ${seconds} s each side`)
  // Request logs off for the goals (the baselines log nothing), then on, as a service runs by default.
  const quiet = { FEMTO_LOG_LEVEL: 'warn' }
  const svc = await throughput({ baseline: { file: bare }, femto: { file: service, env: quiet } }, { rounds, seconds })
  const rtr = await throughput({ baseline: { file: join(BASE, 'express-route.mjs') }, femto: { file: join(BASE, 'express-router.mjs'), args: [router], env: quiet } }, { rounds, seconds })
  const logged = await throughput({ baseline: { file: bare }, femto: { file: service, env: { FEMTO_LOG_LEVEL: 'info', FEMTO_LOG_FORMAT: 'json' } } }, { rounds: Math.min(rounds, 3), seconds })
  section('Throughput and latency', `POST \`[2,3]\` → \`5\`, wrk with 50 connections on core 1, the server alone on core 0, ${rounds} alternating round(s) of ${seconds} s after a warm-up. min / median / max. The generated servers run with \`FEMTO_LOG_LEVEL=warn\` (no line per request, like the baselines) except in the row that says otherwise; metrics, trace ids and argument checks are always on.`)
  table(['server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'ratio (median req/s)', 'p99 ratio', 'CPU/req ratio'], [
    ['bare `node:http` (baseline)', triple(svc.rps.baseline), triple(svc.p50.baseline), triple(svc.p99.baseline), triple(svc.cpuUs.baseline, 1), '1×', '1×', '1×'],
    ['generated service `add.js`', triple(svc.rps.femto), triple(svc.p50.femto), triple(svc.p99.femto), triple(svc.cpuUs.femto, 1), goal('service req/s vs bare node:http', svc.rps.femto.median / svc.rps.baseline.median, 0.95, true), goal('service p99 vs bare node:http', svc.p99.femto.median / svc.p99.baseline.median, 1.3, false), goal('service CPU per request vs bare node:http', svc.cpuUs.femto.median / svc.cpuUs.baseline.median, 1.05, false)],
    ['hand-written Express 5 route (baseline)', triple(rtr.rps.baseline), triple(rtr.p50.baseline), triple(rtr.p99.baseline), triple(rtr.cpuUs.baseline, 1), '1×', '1×', '1×'],
    ['generated `add.js` with a JSON log line per request (the default)', triple(logged.rps.femto), triple(logged.p50.femto), triple(logged.p99.femto), triple(logged.cpuUs.femto, 1), `${fmt(logged.rps.femto.median / logged.rps.baseline.median)}× (vs its own baseline run)`, `${fmt(logged.p99.femto.median / logged.p99.baseline.median)}×`, `${fmt(logged.cpuUs.femto.median / logged.cpuUs.baseline.median)}×`],
    ['generated `router.js` in Express 5', triple(rtr.rps.femto), triple(rtr.p50.femto), triple(rtr.p99.femto), triple(rtr.cpuUs.femto, 1), goal('router req/s vs hand-written Express route', rtr.rps.femto.median / rtr.rps.baseline.median, 0.95, true), `${fmt(rtr.p99.femto.median / rtr.p99.baseline.median)}×`, `${fmt(rtr.cpuUs.femto.median / rtr.cpuUs.baseline.median)}×`],
  ])
}

if (want('handler')) {
  const seconds = quick ? 1 : 10
  const rounds = quick ? 1 : 5
  log(`web-standard handler: ${rounds} round(s) of ${seconds} s each side`)
  const quiet = { FEMTO_LOG_LEVEL: 'warn' }
  const web = await throughput({ baseline: { file: join(BASE, 'express-router.mjs'), args: [router], env: quiet }, femto: { file: join(BASE, 'web-handler.mjs'), args: [router], env: quiet } }, { rounds, seconds })
  section('Web-standard handler', `\`unplugin-femto/handler\` in-process (the functions of \`router.js\`) behind a framework-style node:http ↔ Request/Response adapter, against \`router.js\` in Express 5; the same wrk load as above, ${rounds} alternating round(s) of ${seconds} s. min / median / max.`)
  table(['server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'ratio (median req/s)', 'p99 ratio', 'CPU/req ratio'], [
    ['generated `router.js` in Express 5 (baseline)', triple(web.rps.baseline), triple(web.p50.baseline), triple(web.p99.baseline), triple(web.cpuUs.baseline, 1), '1×', '1×', '1×'],
    ['`createFemtoHandler({ mode: \'in-process\' })`', triple(web.rps.femto), triple(web.p50.femto), triple(web.p99.femto), triple(web.cpuUs.femto, 1), `${fmt(web.rps.femto.median / web.rps.baseline.median)}×`, `${fmt(web.p99.femto.median / web.p99.baseline.median)}×`, `${fmt(web.cpuUs.femto.median / web.cpuUs.baseline.median)}×`],
  ])
}

if (want('gateway')) {
  const seconds = quick ? 1 : 10
  const rounds = quick ? 1 : 5
  log(`femto up gateway: ${rounds} round(s) of ${seconds} s each side`)
  const { gatewayThroughput } = await import('./lib/gateway.mjs')
  // Request logs on, as `femto up` runs by default: every service's pretty lines merged into its output.
  const gw = await gatewayThroughput({ cli: join(ROOT, 'dist/cli.js'), outDir: join(FIXTURE, 'dist'), service: 'add', route: '/femto/add', proxy: join(BASE, 'proxy.mjs') }, { rounds, seconds })
  section('`femto up` gateway', `The generated \`add\` service under \`femto up\` (request logs on: the default level, pretty lines merged into femto up's output), called on its own port, through femto up's gateway, and through a plain proxy to compare with (\`baselines/proxy.mjs\`: node:http in, undici out over the same Unix socket as the gateway, nothing else); wrk with 50 connections on core 1, femto up, its processes and the proxy not pinned (a proxy hop on the machine's cores), ${rounds} round(s) of ${seconds} s, the order rotating. Load average ${os.loadavg().map(l => l.toFixed(2)).join(', ')} at the end. min / median / max.`)
  const ratio = (side, key) => gw[side][key].median / gw.direct[key].median
  table(['calls', 'req/s', 'p50 ms', 'p99 ms', 'hop CPU µs/req (femto up: gateway, merged log)', 'service CPU µs/req', 'ratio (median req/s)', 'p99 ratio'], [
    ['`add` on its own port (baseline)', triple(gw.direct.rps), triple(gw.direct.p50), triple(gw.direct.p99), triple(gw.direct.upUs, 1), triple(gw.direct.serviceUs, 1), '1×', '1×'],
    ['`add` through the gateway', triple(gw.gateway.rps), triple(gw.gateway.p50), triple(gw.gateway.p99), triple(gw.gateway.upUs, 1), triple(gw.gateway.serviceUs, 1), goal('femto up gateway req/s vs calling the service directly (logs on)', ratio('gateway', 'rps'), 0.5, true), goal('femto up gateway p99 vs calling the service directly (logs on)', ratio('gateway', 'p99'), 2, false)],
    ['`add` through a plain proxy (for comparison)', triple(gw.proxy.rps), triple(gw.proxy.p50), triple(gw.proxy.p99), triple(gw.proxy.upUs, 1), triple(gw.proxy.serviceUs, 1), `${fmt(ratio('proxy', 'rps'))}×`, `${fmt(ratio('proxy', 'p99'))}×`],
  ])
}

if (want('coldstart')) {
  const runs = quick ? 2 : 15
  log(`cold start: ${runs} runs each`)
  const times = { bare: [], femto: [] }
  for (let i = 0; i < runs; i++) {
    times.bare.push(await coldStart(bare))
    times.femto.push(await coldStart(service))
  }
  const b = summarize(times.bare)
  const f = summarize(times.femto)
  section('Cold start', `Spawn of \`node <file>\` (pinned to core 0) until the first 200 answer to \`POST /femto/add\`, ${runs} alternating runs. ms, min / median / max.`)
  table(['server', 'ms', 'ratio (median)'], [
    ['bare `node:http` (baseline)', triple(b, 1), '1×'],
    ['generated service `add.js`', triple(f, 1), goal('cold start vs bare node:http', f.median / b.median, 1.1, false)],
  ])
}

if (want('memory')) {
  const runs = quick ? 1 : 3
  const requests = quick ? 2_000 : 10_000
  log(`memory: ${runs} run(s), ${requests} requests`)
  const res = { bare: [], femto: [] }
  for (let i = 0; i < runs; i++) {
    res.bare.push(await memory(bare, [], requests))
    res.femto.push(await memory(service, [], requests))
  }
  const s = (side, key) => summarize(res[side].map(r => r[key]))
  section('Memory', `RSS in MiB after start (and one call), and after ${requests.toLocaleString('en')} requests (10 at a time, keep-alive), ${runs} run(s). min / median / max.`)
  table(['server', 'RSS idle', `RSS after ${requests.toLocaleString('en')}`, 'idle ratio', 'loaded ratio'], [
    ['bare `node:http` (baseline)', triple(s('bare', 'idle'), 1), triple(s('bare', 'loaded'), 1), '1×', '1×'],
    ['generated service `add.js`', triple(s('femto', 'idle'), 1), triple(s('femto', 'loaded'), 1), goal('RSS idle vs bare node:http', s('femto', 'idle').median / s('bare', 'idle').median, 1.15, false), goal('RSS after load vs bare node:http', s('femto', 'loaded').median / s('bare', 'loaded').median, 1.15, false)],
  ])
}

if (want('bundle')) {
  log('bundle bytes')
  const svc = bundleBytes(service)
  const rtr = bundleBytes(router)
  // The floor of the gzip goal: the same service minified (names too), which no readable form beats.
  const { transform } = await import('esbuild')
  const minified = textBytes((await transform(readFileSync(service, 'utf8'), { minify: true, format: 'esm', platform: 'node' })).code)
  section('Bundle bytes', 'The generated files of the bench fixture, and the modules that take most of each; then `add.js` minified by esbuild (`minify`: whitespace, syntax and names), the floor of what any form of the same service weighs.')
  table(['file', 'raw', 'gzip', 'largest parts (raw bytes)'], [
    ['`add.js` (service)', `${(svc.raw / 1024).toFixed(1)} KiB`, `${(svc.gzip / 1024).toFixed(1)} KiB`, svc.top.map(([m, n]) => `${m} ${n}`).join('<br>')],
    ['`router.js`', `${(rtr.raw / 1024).toFixed(1)} KiB`, `${(rtr.gzip / 1024).toFixed(1)} KiB`, rtr.top.map(([m, n]) => `${m} ${n}`).join('<br>')],
    ['`add.js` minified (floor)', `${(minified.raw / 1024).toFixed(1)} KiB`, `${(minified.gzip / 1024).toFixed(1)} KiB`, ''],
  ])
  // Issue 19: readable, unminified services are worth their raw bytes; what travels and is stored is gzip (node:zlib, default level).
  goal('trivial service bundle, gzip, vs 25 KB', svc.gzip / 25_000, 1, false, minified.gzip / 25_000)
}

if (want('stub')) {
  const calls = quick ? 500 : 10_000
  log(`stub cost: ${calls} sequential calls each`)
  const target = await startServer(service)
  const http = await import('node:http')
  const { callService } = await import(join(ROOT, 'dist/runtime/server.js'))
  const { callFemto, configureFemto } = await import(join(ROOT, 'dist/runtime/index.js'))
  process.env.FEMTO_URL_BENCH_ADD = target.url
  const meta = { name: 'add', route: '/femto/add', port: target.port, env: 'FEMTO_URL_BENCH_ADD' }
  const agent = new http.Agent({ keepAlive: true })
  const handWritten = () => new Promise((resolve, reject) => {
    const body = JSON.stringify([2, 3])
    const req = http.request(`${target.url}/femto/add`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())))
    })
    req.on('error', reject)
    req.end(body)
  })
  const s2s = await sequentialCalls(() => callService(meta, [2, 3]), handWritten, { calls })
  configureFemto({ baseUrl: target.url })
  const bareFetch = async () => {
    const res = await fetch(`${target.url}/femto/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([2, 3]) })
    return JSON.parse(await res.text())
  }
  const browser = await sequentialCalls(() => callFemto({ name: 'add', route: '/femto/add' }, [2, 3]), bareFetch, { calls })
  await target.stop()

  // The rich encoding's price per call: an order with a Date, a Map, a Set and a BigInt, through
  // the generated echo service, against the same order as plain JSON (which cannot carry it).
  const echoService = await startServer(join(FIXTURE, 'dist/servers/echo.js'))
  configureFemto({ baseUrl: echoService.url })
  const { PAYLOADS } = await import('./lib/codec.mjs')
  const order = PAYLOADS['an order (Date, Map, Set, BigInt, undefined)']()
  const orderJson = JSON.stringify([order], (_, v) => (typeof v === 'bigint' ? v.toString() : v))
  const jsonEcho = async () => {
    const res = await fetch(`${echoService.url}/femto/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: orderJson })
    return JSON.parse(await res.text())
  }
  const rich = await sequentialCalls(() => callFemto({ name: 'echo', route: '/femto/echo' }, [order]), jsonEcho, { calls })
  await echoService.stop()
  section('Stub cost', `${calls.toLocaleString('en')} sequential calls from one Node process to the generated \`add\` service, in alternating blocks. µs per call: mean, p50, p99. The browser stub is measured in Node 20 (same \`fetch\` API as the browser's).`)
  table(['caller', 'mean µs', 'p50 µs', 'p99 µs', 'ratio (mean)'], [
    ['hand-written keep-alive `node:http` call (baseline)', fmt(s2s.b.mean, 0), fmt(s2s.b.median, 0), fmt(s2s.b.p99, 0), '1×'],
    ['service-to-service stub (`callService`)', fmt(s2s.a.mean, 0), fmt(s2s.a.median, 0), fmt(s2s.a.p99, 0), goal('service-to-service stub vs hand-written keep-alive call', s2s.a.mean / s2s.b.mean, 1.15, false)],
    ['bare `fetch` (baseline)', fmt(browser.b.mean, 0), fmt(browser.b.median, 0), fmt(browser.b.p99, 0), '1×'],
    ['browser stub (`callFemto`)', fmt(browser.a.mean, 0), fmt(browser.a.median, 0), fmt(browser.a.p99, 0), `${fmt(browser.a.mean / browser.b.mean)}×`],
    ['an order as plain JSON through `fetch` (baseline; loses its types)', fmt(rich.b.mean, 0), fmt(rich.b.median, 0), fmt(rich.b.p99, 0), '1×'],
    ['the same order through the stub, rich encoding (devalue)', fmt(rich.a.mean, 0), fmt(rich.a.median, 0), fmt(rich.a.p99, 0), `${fmt(rich.a.mean / rich.b.mean)}×`],
  ])
}

if (want('codec')) {
  const iterations = quick ? 50 : 2000
  log(`codec: ${iterations} round trips per payload`)
  const { compareCodecs, codecBundleBytes } = await import('./lib/codec.mjs')
  const results = compareCodecs({ iterations })
  const sizes = await codecBundleBytes()
  section('Codec comparison', `The candidates for the stub's rich encoding (SPEC §4), each decoding without \`eval\`. µs per encode + decode in Node (${iterations.toLocaleString('en')} round trips), encoded bytes, and the bytes the codec adds to a bundle (its two functions, tree-shaken and minified). Chosen: **devalue**, the fastest and smallest of the three that carry every type the wire needs (it also refuses \`__proto__\` keys when decoding).`)
  const payloads = [...new Set(results.map(r => r.payload))]
  const codecs = Object.keys(sizes)
  table(['codec', ...payloads.map(p => `${p}: µs / bytes`), 'bundle bytes (gzip)'], codecs.map(codec => [
    codec,
    ...payloads.map((p) => {
      const r = results.find(x => x.codec === codec && x.payload === p)
      return `${fmt(r.us, 1)} / ${r.bytes}`
    }),
    `${sizes[codec].raw} (${sizes[codec].gzip})`,
  ]))
}

if (want('types')) {
  const { measureSchemaDerivation, measureValidator } = await loadWorkloads()
  const counts = quick ? [10] : [10, 100]
  log(`types: schema derivation of ${counts.join(' and ')} functions, generated argument checks`)
  const derivation = await measureSchemaDerivation({ counts })
  const ms = v => `${v.toFixed(0)} ms`
  section('Types: schema derivation and argument checks', 'Build time of deriving JSON Schema from the TypeScript types (one program for all functions; the first build of a process parses TypeScript\'s libs, a rebuild in watch mode reuses them), and the time of the checks generated from the schemas, per call on valid arguments.')
  table(['functions (files)', 'first build: program', 'first build: derive', 'ms per function', 'rebuild: program + derive'], derivation.map(d => [
    `${d.functions} (${d.files})`,
    ms(d.cold.programMs),
    ms(d.cold.deriveMs),
    d.cold.perFunctionMs.toFixed(2),
    ms(d.warm.totalMs),
  ]))
  const checks = measureValidator(quick ? 100_000 : 2_000_000)
  rows.push('\n')
  table(['generated check', 'ns per call', 'code bytes'], checks.map(c => [c.name, c.nsPerCall.toFixed(1), String(c.codeBytes)]))
}

if (want('observability')) {
  const { promClientCost } = await import('./lib/prom-client-cost.mjs')
  const { measureLogger, measureTrace } = await loadWorkloads()
  log('observability: metrics against prom-client, log lines, trace context')
  const cost = await promClientCost({ coldStarts: quick ? 2 : 7, calls: quick ? 200_000 : 2_000_000 })
  const kib = bytes => `${(bytes / 1024).toFixed(1)} KiB`
  section('Observability: metrics, logs, traces', 'The metrics registry each service bundles, against prom-client doing the same (bundled alike by rolldown, not minified): bundle bytes, cold start of a program that only loads it (median), and the cost of one call\'s updates (in-flight up and down, the status counter, the duration histogram; ns). Then the per-request cost of a log line and of reading or starting the trace context.')
  table(['metrics', 'bundle raw / gzip', 'cold start ms', 'ns per call', 'ns per render (10 functions)'], [
    ['bare `node` (baseline)', '-', cost.node.coldStartMs.toFixed(1), '-', '-'],
    ['femto `metrics.ts`', `${kib(cost.femto.bundle.raw)} / ${kib(cost.femto.bundle.gzip)}`, cost.femto.coldStartMs.toFixed(1), cost.femto.nsPerCall.toFixed(1), cost.femto.nsPerRender.toFixed(0)],
    [`prom-client ${cost.promClient.version}`, `${kib(cost.promClient.bundle.raw)} / ${kib(cost.promClient.bundle.gzip)}`, cost.promClient.coldStartMs.toFixed(1), `${cost.promClient.nsPerCall.toFixed(1)} (label objects), ${cost.promClient.nsPerCallChildren.toFixed(1)} (children)`, cost.promClient.nsPerRender.toFixed(0)],
  ])
  const lines = measureLogger(quick ? 20_000 : 200_000)
  const trace = measureTrace(quick ? 20_000 : 200_000)
  rows.push('\n')
  table(['per request', 'ns'], [
    ['JSON log line (built and buffered)', lines.json.toFixed(0)],
    ['pretty log line', lines.pretty.toFixed(0)],
    ['trace context from a `traceparent`', trace.present.toFixed(0)],
    ['trace context started (no header)', trace.absent.toFixed(0)],
  ])
}

if (want('fuzz')) {
  const { fuzzService } = await import('./lib/fuzz.mjs')
  const requests = quick ? 2_000 : 100_000
  const seed = 20_261_122
  log(`fuzz: ${requests} hostile requests against add.js (seed ${seed})`)
  const server = await startServer(service, { env: { FEMTO_LOG_LEVEL: 'warn' } })
  const result = await fuzzService({ url: server.url, requests, seed, routes: { '/femto/add': [2, 3] } })
  const crashed = server.proc.exitCode !== null || server.proc.signalCode !== null
  await server.stop()
  section('Fuzz', `\`bench/lib/fuzz.mjs\` (the same generator as \`test/fuzz.test.ts\`, which sends 10,000): malformed and hostile bodies, headers, methods, paths, encodings and raw HTTP, 16 at a time, against the generated \`add.js\`. Seed ${seed}; replay with \`node bench/fuzz.mjs --requests ${requests} --seed ${seed}\`.`)
  table(['requests', 'seconds', '5xx', 'crashed', 'healthy and correct after', 'answers by status'], [[
    String(result.sent),
    (result.ms / 1000).toFixed(1),
    String(result.fiveXx.length),
    crashed ? '**yes**' : 'no',
    result.after.healthy ? 'yes' : '**no**',
    Object.entries(result.byStatus).sort().map(([status, n]) => `${status}: ${n}`).join(', '),
  ]])
  if (result.fiveXx.length > 0 || crashed || !result.after.healthy)
    goals.push(['fuzz: no 5xx, no crash, healthy after', `${result.fiveXx.length} 5xx`, '0', '**missed**'])
  else
    goals.push(['fuzz: no 5xx, no crash, healthy after', `0 of ${result.sent}`, '0', 'met'])
}

if (want('build')) {
  const sizes = quick ? [10, 100] : [10, 100, 1000]
  const runs = quick ? 1 : 3
  log(`build: ${sizes.join(', ')} functions, ${runs} run(s)`)
  rmSync(WORK, { recursive: true, force: true })
  const config = `import femto from 'unplugin-femto/vite'\nimport { defineConfig } from 'vite'\nexport default defineConfig({ plugins: [femto({ summary: false })] })\n`
  const html = '<!doctype html><html><body><script type="module" src="/src/main.ts"></script></body></html>\n'
  const fn = i => `export async function fn${i}(a: number, b: number) {\n  'use femto'\n  return a * ${i} + b\n}\n`
  // Both sides of a comparison load a config file, so only the plugin differs.
  const noPlugin = `import { defineConfig } from 'vite'\nexport default defineConfig({ plugins: [] })\n`
  // The floor of a plugin made with unplugin, as this one is: one that does nothing.
  const doNothing = `import { createUnplugin } from 'unplugin'\nimport { defineConfig } from 'vite'\nexport default defineConfig({ plugins: [createUnplugin(() => ({ name: 'nothing' })).vite()] })\n`
  const project = (name, files, main, viteConfig = config) => {
    const dir = join(WORK, name)
    for (const [file, text] of Object.entries({ 'index.html': html, 'src/main.ts': main, ...files, 'vite.config.mjs': viteConfig })) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), text)
    }
    return dir
  }
  const lines = []
  const medians = {}
  for (const layout of ['one file', 'one file each']) {
    for (const n of sizes) {
      const ids = Array.from({ length: n }, (_, i) => i)
      const files = layout === 'one file'
        ? { 'src/fns.ts': ids.map(fn).join('\n') }
        : Object.fromEntries(ids.map(i => [`src/fns/fn${i}.ts`, fn(i)]))
      const main = layout === 'one file'
        ? `import * as fns from './fns'\ndocument.body.textContent = String(Object.keys(fns).length)\n`
        : `${ids.map(i => `import { fn${i} } from './fns/fn${i}'`).join('\n')}\ndocument.body.textContent = String([${ids.map(i => `fn${i}`).join(', ')}].length)\n`
      const dir = project(`${n}-${layout.replace(/ /g, '-')}`, files, main)
      const times = []
      // Every run cold: the plugin's caches (schemas, analyses, service files) would make the
      // second and third runs rebuilds, which the last column measures on its own.
      for (let run = 0; run < (n >= 1000 ? 1 : runs); run++) {
        rmSync(join(dir, 'node_modules/.cache/unplugin-femto'), { recursive: true, force: true })
        times.push(viteBuildTime(VITE, dir))
      }
      const rebuild = viteBuildTime(VITE, dir)
      const services = JSON.parse(readFileSync(join(dir, 'dist/servers/femto.json'), 'utf8')).services.length
      const s = summarize(times)
      medians[`${layout}:${n}`] = s.median
      lines.push([layout, String(n), String(services), triple(s, 0), fmt(rebuild, 0)])
    }
  }
  section('Build', `Wall time of a whole \`vite build\` process (client and every service), ms: cold (the plugin's cache in \`node_modules/.cache/unplugin-femto\` removed before each run), min / median / max (1000 functions: one run); then one rebuild with nothing changed.`)
  table(['layout', 'functions', 'services built', 'cold ms', 'rebuild ms'], lines)
  if (medians['one file:1000']) {
    for (const layout of ['one file', 'one file each']) {
      goal(`1000 functions (${layout}) vs 100`, medians[`${layout}:1000`] / medians[`${layout}:100`], 12, false)
      goal(`1000 functions (${layout}) vs 20 s`, medians[`${layout}:1000`] / 20_000, 1, false)
    }
  }

  // A project that never uses the directive pays nothing for the plugin.
  const plainFiles = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`src/m${i}.ts`, `export function m${i}(x: number): number {\n  return x + ${i}\n}\n`]))
  const plainMain = `${Object.keys(plainFiles).map((_, i) => `import { m${i} } from './m${i}'`).join('\n')}\ndocument.body.textContent = String(${Object.keys(plainFiles).map((_, i) => `m${i}(1)`).join(' + ')})\n`
  const withPlugin = project('plain-with-plugin', plainFiles, plainMain)
  const without = project('plain-without-plugin', plainFiles, plainMain, noPlugin)
  const withNothing = project('plain-with-nothing', plainFiles, plainMain, doNothing)
  const plainRuns = quick ? 2 : 9
  const t = { with: [], without: [], nothing: [] }
  for (let i = 0; i < plainRuns; i++) {
    t.without.push(viteBuildTime(VITE, without))
    t.with.push(viteBuildTime(VITE, withPlugin))
    t.nothing.push(viteBuildTime(VITE, withNothing))
  }
  const w = summarize(t.with)
  const wo = summarize(t.without)
  const nothing = summarize(t.nothing)
  rows.push(`\nA project of 300 modules without the directive, ${plainRuns} alternating run(s); the floor: a plugin made with \`unplugin\` (as this one is) that does nothing:\n\n`)
  table(['build', 'ms', 'ratio (median)'], [
    ['plain Vite (baseline)', triple(wo, 0), '1×'],
    ['Vite with unplugin-femto', triple(w, 0), goal('project without the directive, with vs without the plugin', w.median / wo.median, 1.02, false, nothing.median / wo.median)],
    ['Vite with a do-nothing `unplugin` plugin (floor)', triple(nothing, 0), `${fmt(nothing.median / wo.median)}×`],
  ])
}

if (want('shop')) {
  // Issue 19: a shop of five typed functions, plain Vite against the plugin, every round back to back.
  const { clearSchemaCache, measuredBuild, measuredDev, writeFloorShop, writeShop } = await import('./lib/shop.mjs')
  const rounds = quick ? 1 : 5
  log(`shop: ${rounds} round(s) of builds and dev servers`)
  const shop = join(import.meta.dirname, '.work/shop')
  rmSync(shop, { recursive: true, force: true })
  const plain = writeShop(join(shop, 'plain'))
  // FEMTO_BENCH_PLUGIN: a copy of the plugin's dist/vite.js to measure, out of reach of rebuilds of dist/ meanwhile.
  const from = process.env.FEMTO_BENCH_PLUGIN
  const femto = writeShop(join(shop, 'femto'), {}, from)
  const untyped = writeShop(join(shop, 'untyped'), { types: false }, from)
  const floorEnvironment = writeFloorShop(join(shop, 'floor-environment'), { types: false })
  const floorTypes = writeFloorShop(join(shop, 'floor-types'), { types: true })
  const runs = { plain: [], cold: [], rebuild: [], untyped: [], floorEnvironment: [], floorTypes: [] }
  for (const dir of [femto, floorTypes])
    measuredBuild(VITE, dir)
  for (let round = 0; round < rounds; round++) {
    runs.plain.push(measuredBuild(VITE, plain))
    clearSchemaCache(femto)
    runs.cold.push(measuredBuild(VITE, femto))
    runs.rebuild.push(measuredBuild(VITE, femto))
    runs.untyped.push(measuredBuild(VITE, untyped))
    runs.floorEnvironment.push(measuredBuild(VITE, floorEnvironment))
    runs.floorTypes.push(measuredBuild(VITE, floorTypes))
  }
  const ms = key => summarize(runs[key].map(r => r.ms))
  const mb = key => summarize(runs[key].map(r => r.mb))
  const base = { ms: ms('plain'), mb: mb('plain') }
  section('Build and dev server: a shop of five functions', `A shop-like app (five typed femto functions in three modules, their types imported from a fourth, a tsconfig as Vite's template writes it), a whole \`vite build\` process each, ${rounds} round(s), every round running the six builds back to back; time in ms and peak resident memory (\`/usr/bin/time\`'s maximum RSS) in MB, min / median / max. Cold: no schema cache (\`node_modules/.cache/unplugin-femto\` removed); rebuild: nothing changed since the previous build, so the schemas come from the cache. The two floor rows are plain Vite doing only what any plugin of this design must add, without the plugin: the functions' modules built as a second environment of the same build (issue 15: services built through the app's own pipeline), then also TypeScript's checker reading their types on a worker thread from the config hook (TypeScript from a V8 code cache, the ES libs only, each function's parameter and return types: less than a schema needs). A goal below its floor cannot be met by this design.`)
  const timeRatio = key => ms(key).median / base.ms.median
  const memoryRatio = key => mb(key).median / base.mb.median
  const row = (label, key, timeGoal, memoryGoal, floorKey) => [
    label,
    triple(ms(key), 0),
    triple(mb(key), 0),
    timeGoal ? goal(`shop: ${label} vs plain Vite, time`, timeRatio(key), timeGoal, false, timeRatio(floorKey)) : `${fmt(timeRatio(key))}×`,
    memoryGoal ? goal(`shop: ${label} vs plain Vite, peak memory`, memoryRatio(key), memoryGoal, false, memoryRatio(floorKey)) : `${fmt(memoryRatio(key))}×`,
  ]
  table(['build', 'ms', 'peak MB', 'time ratio (median)', 'memory ratio (median)'], [
    ['plain Vite (baseline)', triple(base.ms, 0), triple(base.mb, 0), '1×', '1×'],
    row('cold with types', 'cold', 2, 2, 'floorTypes'),
    row('rebuild, no type changed', 'rebuild', 1.25, undefined, 'floorEnvironment'),
    row('`types: false`', 'untyped', undefined, undefined),
    row('floor of a rebuild: plain Vite + the functions\' modules as a second environment', 'floorEnvironment', undefined, undefined),
    row('floor of a cold build: the same + TypeScript\'s checker on their types', 'floorTypes', undefined, undefined),
  ])
  const dev = { cold: [], warm: [] }
  for (let round = 0; round < Math.min(rounds, 3); round++) {
    clearSchemaCache(femto)
    dev.cold.push(await measuredDev(VITE, femto))
    dev.warm.push(await measuredDev(VITE, femto))
  }
  const devLine = (label, values, limit) => [label, triple(summarize(values), 0), `≤ ${limit} ms`, summarize(values).median <= limit ? 'met' : '**missed**']
  const devRows = [
    devLine('first call after ready, warm schema cache', dev.warm.map(d => d.firstMs), 300),
    devLine('first call after ready, cold (no schema cache)', dev.cold.map(d => d.firstMs), 1000),
    devLine('call after an edit of a function (save → first answer showing it), warm start', dev.warm.map(d => d.editMs), 200),
    devLine('call after an edit, cold start', dev.cold.map(d => d.editMs), 200),
  ]
  for (const [what, measured, target, met] of devRows)
    goals.push([`shop dev: ${what}`, `${measured.split(' / ')[1]} ms`, target, met, ''])
  rows.push(`\n\`vite dev\` of the same app, ${Math.min(rounds, 3)} round(s), each a cold start (no schema cache) then a warm one; ms from the line saying the server is ready to the answer of the first call of \`tax\`, and from saving an edit of \`tax\`'s body to the first answer that shows it (calls repeated until then). min / median / max.\n\n`)
  table(['dev server', 'ms', 'goal', ''], devRows)
}

const cpu = os.cpus()[0]?.model ?? 'unknown'
const header = `# Benchmark results

Written by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString()}.
Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}.
Node ${process.version}; vite ${versionOf('vite')}, rolldown ${versionOf('rolldown')}, express ${versionOf('express')}; wrk ${spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split(' ')[1] ?? '?'}.
Every ratio compares two things measured in this run. Timing is never asserted in tests; \`npm test\` runs \`--quick\` once so this harness keeps working.
`
const summary = `\n## Goals\n\nThe floor column: the same ratio for what the design must do without the plugin's own work, measured in this run (each section says how).\n\n| goal | measured | target | | floor |\n| --- | --- | --- | --- | --- |\n${goals.map(g => `| ${g.join(' | ')} |`).join('\n')}\n`
const history = `\n${readFileSync(join(import.meta.dirname, 'HISTORY.md'), 'utf8')}`
writeFileSync(flags.out, header + summary + rows.join('') + history)
log(`wrote ${flags.out}`)
for (const g of goals)
  log(`${g[3].replace(/\*/g, '').padEnd(6)} ${g[0]}: ${g[1]} (target ${g[2]})`)
