import type { ChildProcess } from 'node:child_process'
import type { Browser } from 'playwright-core'
import type { ViteDevServer } from 'vite'
import type { Options } from '../src/core/registry/options'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { createBuilder, createLogger, createServer as createViteServer } from 'vite'
import femto from '../src/vite'

/**
 * A real `vite build` (client and services) of a fixture app, with the plugin from source (or `plugin`).
 * `outDir` is femto's folder as `build.outDir` is Vite's: the client build goes to `<outDir>/client`,
 * the services to `<outDir>/servers`. Returns `<root>/<outDir>`.
 */
export async function viteBuild(root: string, outDir: string, options: Options = {}, plugin: typeof femto = femto): Promise<string> {
  const builder = await createBuilder({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: [plugin({ summary: false, outDir, ...options })],
    build: { outDir, emptyOutDir: true },
  })
  await builder.buildApp()
  return join(root, outDir)
}

export interface RunningProcess {
  url: string
  proc: ChildProcess
  output: () => string
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts `node <file>` on a free port and waits for its "listening" line. */
export async function startNode(file: string, options: { cwd?: string, env?: Record<string, string> } = {}): Promise<RunningProcess> {
  const proc = spawn(process.execPath, [file], {
    cwd: options.cwd,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  proc.stdout!.on('data', (c) => {
    output += c
  })
  proc.stderr!.on('data', (c) => {
    output += c
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${output}`)), 15_000)
    const onData = (): void => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    proc.stdout!.on('data', onData)
    proc.once('exit', code => reject(new Error(`${file} exited with ${code}:\n${output}`)))
  })
  return {
    url,
    proc,
    output: () => output,
    stop: (signal = 'SIGTERM') => new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null)
        return resolve(proc.exitCode)
      proc.once('exit', code => resolve(code))
      proc.kill(signal)
    }),
  }
}

/** The `femto` command as it ships. */
const CLI = join(import.meta.dirname, '../dist/cli.js')

/**
 * `femto up <outDir>` (dist/cli.js) on a free gateway port, in a process group of its own,
 * once it says where its gateway is; `stop()` kills the group (the services with it).
 */
export async function femtoUp(outDir: string): Promise<{ url: string, output: () => string, stop: () => Promise<void> }> {
  const up = spawn(process.execPath, [CLI, 'up', outDir, '--port', '0', '--free-ports'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  up.stdout!.on('data', (chunk) => {
    output += chunk
  })
  up.stderr!.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise(resolve => up.once('close', resolve))
  const stop = async (): Promise<void> => {
    if (up.exitCode === null && up.signalCode === null)
      process.kill(-up.pid!, 'SIGKILL')
    await exited
  }
  const started = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(resolve, 30_000, undefined)
    const check = (): void => {
      const url = /gateway at (http:\/\/localhost:\d+)/.exec(output)?.[1]
      if (url || up.exitCode !== null) {
        clearTimeout(timer)
        resolve(url)
      }
    }
    up.stdout!.on('data', check)
    up.once('exit', check)
  })
  if (!started) {
    await stop()
    throw new Error(`femto up did not start:\n${output}`)
  }
  return { url: started, output: () => output, stop }
}

/** How many calls of a function a service is running now, from its `/metrics`: to act once a call is in flight. */
export async function callsInFlight(url: string, fn: string, headers?: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers })).text()
  const line = new RegExp(`^femto_requests_in_flight\\{[^}]*function="${fn}"[^}]*\\} (\\d+)$`, 'm').exec(text)
  if (!line)
    throw new Error(`no femto_requests_in_flight of ${fn} in ${url}/metrics:\n${text}`)
  return Number(line[1])
}

export interface Answer {
  status: number
  headers: Headers
  body: any
  text: string
}

/** A plain HTTP POST, as curl or another language would send it. */
export async function post(url: string, body?: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  }
  catch {
    parsed = undefined
  }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** Every file of a folder, recursively, as text: for leak scans of client output. */
export function readTree(dir: string, skip: string[] = []): Map<string, string> {
  const files = new Map<string, string>()
  for (const name of readdirSync(dir)) {
    if (skip.includes(name))
      continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      for (const [k, v] of readTree(path))
        files.set(k, v)
    }
    else {
      files.set(path, readFileSync(path, 'utf8'))
    }
  }
  return files
}

/** Replaces text in a source file, as a developer's edit would, after checking the text is there. */
export function editFile(path: string, from: string, to: string): void {
  const code = readFileSync(path, 'utf8')
  if (!code.includes(from))
    throw new Error(`${path} does not hold ${JSON.stringify(from)}`)
  writeFileSync(path, code.replace(from, to))
}

/** Debian's chromium, never a downloaded browser; the flags keep it off the (closed) network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** The ports the OS hands out for port 0 and for outgoing connections (Linux's default elsewhere). */
function ephemeralRange(): [number, number] {
  try {
    const [low = 0, high = 0] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (low > 1024 && high >= low)
      return [low, high]
  }
  catch {}
  return [32768, 60999]
}

/**
 * A port free right now, for what must be told its port before it starts: a container's
 * published port, or two `femto up`s in turn serving a page on one origin. Services the tests
 * start take port 0 and report theirs instead.
 * Chosen below the OS's ephemeral range: a port the OS gave out for port 0 goes back into that
 * range when closed, where any process of a parallel test that listens on port 0 or connects
 * anywhere may take it before this test uses it (a "refused" port that answers, a busy one).
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange()
  const from = Math.max(1024, low - 12_000)
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from))
    if (await canListen(port))
      return port
  }
  throw new Error(`no free port in ${from}-${low - 1} after 50 tries`)
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** Whether a process still exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch {
    return false
  }
}

export interface KeptAliveAnswer { status: number, body: string, connection: string | undefined, reused: boolean }

/**
 * POSTs on one kept-alive connection, as a gateway or a service stub sends calls: each answer,
 * and whether it rode the connection an earlier call opened. `close()` lets the connection go.
 */
export function keptAliveCaller(): { send: (url: string, body: string) => Promise<KeptAliveAnswer>, close: () => void } {
  const agent = new http.Agent({ keepAlive: true })
  const send = (url: string, body: string): Promise<KeptAliveAnswer> => new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => text += chunk).on('end', () => resolve({ status: res.statusCode!, body: text, connection: res.headers.connection, reused: req.reusedSocket }))
    })
    req.on('error', reject)
    req.end(body)
  })
  return { send, close: () => agent.destroy() }
}

/** The published plugin (dist/), as an app runs it: only there do its worker threads have files to run. */
export async function publishedPlugin(): Promise<typeof femto> {
  return (await import(pathToFileURL(join(import.meta.dirname, '../dist/vite.js')).href) as typeof import('../src/vite')).default
}

/**
 * `vite dev` of `root` in this process with the published plugin (dist/), as an app runs it: only
 * there do its worker threads have files to run. Its error lines are pushed to `errors`.
 */
export async function devServerOfDist(root: string, errors: string[]): Promise<{ server: ViteDevServer, url: string }> {
  process.env.FEMTO_LOG_LEVEL = 'warn'
  const logger = createLogger('error', { allowClearScreen: false })
  logger.error = (message) => {
    errors.push(message)
  }
  const plugin = await publishedPlugin()
  const server = await createViteServer({ root, configFile: false, customLogger: logger, plugins: [plugin({ summary: false })], server: { port: 0, host: '127.0.0.1' } })
  await server.listen()
  return { server, url: server.resolvedUrls!.local[0]!.replace(/\/$/, '') }
}
