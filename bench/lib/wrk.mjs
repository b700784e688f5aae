import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pinned } from './processes.mjs'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'femto-wrk-'))
const POST = 'wrk.method = "POST"\nwrk.body = "[2,3]"\nwrk.headers["Content-Type"] = "application/json"\n'
const script = join(dir, 'post.lua')
writeFileSync(script, POST)
const scripts = new Map()
/** The POST script with more headers (e.g. a service's `Authorization`). */
function scriptWith(headers) {
  const text = POST + Object.entries(headers).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}\n`).join('')
  if (!scripts.has(text)) {
    const file = join(dir, `post-${scripts.size}.lua`)
    writeFileSync(file, text)
    scripts.set(text, file)
  }
  return scripts.get(text)
}

const UNIT = { us: 1e-3, ms: 1, s: 1000 }
const toMs = text => Number.parseFloat(text) * UNIT[/[a-z]+$/.exec(text)[0]]

/** wrk on its own core against `url`: requests per second and latency percentiles in ms. */
export async function loadTest(url, { seconds, connections = 50, core = 1, headers }) {
  const [command, args] = pinned(core, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', headers ? scriptWith(headers) : script, url])
  const { stdout } = await run(command, args, { timeout: (seconds + 30) * 1000 })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)[1])
  const requests = Number(/(\d+) requests in/.exec(stdout)[1])
  const latency = q => toMs(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(stdout)[1])
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout)
  if (errors)
    throw new Error(`${url}: ${errors[1]} responses were not 200`)
  return { rps, requests, p50: latency(50), p99: latency(99) }
}
