import type { ChildProcess } from 'node:child_process'
import type { Manifest } from '../core/build/manifest'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { prefixLines } from './logs'

/**
 * `femto up --app "<command>"`: the framework's own server (SvelteKit's `node build`, React Router's
 * `react-router-serve`, Astro's `node dist/server/entry.mjs`) in the gateway's place. It serves
 * the pages and, through unplugin-femto/handler, `{basePath}/*`; femto up starts no gateway of its own.
 */
export interface AppOptions {
  /** A shell command, run from the working directory. */
  command: string
  /** The port the app is told to listen on (`PORT`); 0 picks a free one. */
  port: number
  /** What the app needs to reach the services: `FEMTO_URL_*`, `FEMTO_TOKEN`, `FEMTO_MANIFEST`. */
  env: Record<string, string>
  out: NodeJS.WritableStream
  /** Width of the merged log's name column. */
  width: number
  /** Called once if the app exits before it is stopped, with its exit code (1 for a signal). */
  onExit: (code: number) => void
}

export interface RunningApp {
  url: string
  close: () => Promise<void>
}

/** The environment the app gets: where each service is, the token, the build's femto.json. */
export function appEnv(manifest: Manifest, origins: Map<string, string>, token: string, manifestFile: string): Record<string, string> {
  const env: Record<string, string> = { FEMTO_TOKEN: token, FEMTO_MANIFEST: manifestFile }
  for (const service of manifest.services)
    env[service.env] = origins.get(service.name)!
  return env
}

/** Starts the app, and resolves once it answers HTTP on its port; if it exits first or never does, the error carries its output. */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const port = options.port === 0 ? await freePort() : options.port
  // Its own process group: the shell and the server it starts are stopped together.
  const child = spawn(options.command, {
    shell: true,
    detached: true,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-(1 << 16))
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  prefixLines(child.stdout!, 'app', 9, options.width, options.out)
  prefixLines(child.stderr!, 'app', 9, options.width, options.out)
  let stopping = false
  const ended = new Promise<number>((resolve) => {
    child.once('error', () => resolve(1))
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
  const close = async (): Promise<void> => {
    stopping = true
    await stopGroup(child, ended)
  }
  const url = `http://localhost:${port}`
  try {
    await answers(`http://127.0.0.1:${port}/`, ended)
  }
  catch (error) {
    await close()
    throw new Error(`femto up: the app (${options.command}) ${(error as Error).message}. Its output:\n${output}`)
  }
  void ended.then((code) => {
    if (!stopping) {
      options.out.write(`${'femto'.padEnd(options.width)} | the app exited (code ${code}); stopping the services\n`)
      options.onExit(code === 0 ? 1 : code)
    }
  })
  return { url, close }
}

/** Until the app answers anything at all over HTTP (a 404 is an answer): 60 s, for a cold build of a big app. */
async function answers(url: string, ended: Promise<number>, timeoutMs = 60_000): Promise<void> {
  let exit: number | undefined
  void ended.then((code) => {
    exit = code
  })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exit !== undefined)
      throw new Error(`exited (code ${exit}) before it answered on ${url}`)
    if (Date.now() > deadline)
      throw new Error(`did not answer on ${url} within ${timeoutMs} ms`)
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2_000) })
      await res.body?.cancel()
      return
    }
    catch {}
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** SIGTERM to the app's whole group; SIGKILL if it is still there after 5 s. */
async function stopGroup(child: ChildProcess, ended: Promise<number>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name)
    }
    catch {}
  }
  signal('SIGTERM')
  const timer = setTimeout(signal, 5_000, 'SIGKILL')
  await ended
  clearTimeout(timer)
  // The shell may be gone while the server it started is not.
  signal('SIGKILL')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
