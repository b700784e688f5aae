// node bench/fuzz.mjs [--requests 100000] [--seed N] [--concurrency 16] [--file servers/x.js] [--routes '{"/femto/x":[…]}']
// Starts a built femto service on a free port, sends it malformed and hostile requests
// (bench/lib/fuzz.mjs), and prints a one-line JSON summary. Exits 1 on any 5xx, a crash, a hang,
// or a service that is not healthy and correct afterwards. Builds nothing itself.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { fuzzService } from './lib/fuzz.mjs'
import { freePort } from './lib/processes.mjs'

const DEFAULT_FILE = join(import.meta.dirname, 'fixture/dist/servers/add.js')

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    file: { type: 'string', default: DEFAULT_FILE },
    routes: { type: 'string', default: '{"/femto/add":[2,3]}' },
  },
})

const file = isAbsolute(flags.file) ? flags.file : resolve(flags.file)
if (!existsSync(file)) {
  console.error(`[fuzz] ${relative(process.cwd(), file)} does not exist.`)
  if (file === DEFAULT_FILE)
    console.error('[fuzz] Build the bench fixture first: `npm run bench` (or `npm run build && npx vite build bench/fixture`), or pass --file <a built service>.')
  process.exit(2)
}
const requests = Number(flags.requests)
const seed = flags.seed === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(flags.seed) >>> 0
const concurrency = Number(flags.concurrency)
const routes = JSON.parse(flags.routes)

const port = await freePort()
const proc = spawn(process.execPath, [file], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] })
// Only the tail is kept: a service logs a line per request.
let output = ''
function collect(chunk) {
  output = (output + chunk).slice(-64 * 1024)
}
proc.stdout.on('data', collect)
proc.stderr.on('data', collect)
let exited
proc.once('exit', (code, signal) => {
  exited = { code, signal }
})
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${output}`)), 15_000)
  proc.stdout.on('data', () => {
    if (output.includes('listening on')) {
      clearTimeout(timer)
      resolve()
    }
  })
  proc.once('exit', code => reject(new Error(`${file} exited with ${code}:\n${output}`)))
})

process.stderr.write(`[fuzz] ${relative(process.cwd(), file)} on port ${port}: ${requests} requests, seed ${seed}, concurrency ${concurrency}\n`)
const step = Math.max(1000, Math.round(requests / 10))
const result = await fuzzService({
  url: `http://127.0.0.1:${port}`,
  requests,
  seed,
  concurrency,
  routes,
  onProgress: (done) => {
    if (done % step === 0)
      process.stderr.write(`[fuzz] ${done}/${requests}\n`)
  },
})
// Give a crash that is on its way (an abort after an allocation failure, say) a moment to show.
await new Promise(resolve => setTimeout(resolve, 200))
const crashed = exited !== undefined
const failed = crashed || result.fiveXx.length > 0 || result.hung.length > 0 || result.unexpected.length > 0 || !result.after.healthy

console.log(JSON.stringify({
  ok: !failed,
  file: relative(process.cwd(), file),
  requests: result.sent,
  seed: result.seed,
  ms: result.ms,
  perSecond: Math.round(result.sent / (result.ms / 1000)),
  byStatus: result.byStatus,
  networkErrors: result.networkErrors,
  closedEarly: result.closedEarly,
  fiveXx: result.fiveXx.length,
  hung: result.hung.length,
  unexpected: result.unexpected.length,
  crashed: crashed ? exited : false,
  healthy: result.after.healthy,
  after: { healthz: result.after.health.status, metrics: result.after.metrics.status, routes: result.after.routes },
}))
if (failed) {
  for (const [label, list] of [['5xx', result.fiveXx], ['hung', result.hung], ['unexpected', result.unexpected]]) {
    for (const entry of list.slice(0, 10))
      console.error(`[fuzz] ${label} #${entry.index}: ${JSON.stringify(entry)}`)
  }
  if (crashed)
    console.error(`[fuzz] the service exited (${JSON.stringify(exited)}); the end of its output:\n${output.slice(-4000)}`)
  console.error(`[fuzz] replay one request with generateCase(${seed}, index, routes) from bench/lib/fuzz.mjs, or the run with --seed ${seed}`)
}
proc.kill('SIGKILL')
process.exit(failed ? 1 : 0)
