import type { ChildProcess } from 'node:child_process'
import type { ManifestService } from '../core/build/manifest'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { prefixLines } from './logs'

/** One service of a build, running as `node <service>.js` on loopback. */
export interface ServiceProcess {
  name: string
  /** `http://127.0.0.1:<port>` */
  origin: string
  child: ChildProcess
  /** What it wrote on stdout and stderr (the last MiB): for errors and `logs()`. */
  output: () => string
}

export interface SpawnOptions {
  /** The servers folder of the build. */
  dir: string
  services: ManifestService[]
  ports: Map<string, number>
  /** Over the parent's environment (`FEMTO_TOKEN`, `FEMTO_URL_*`, …); `PORT` and `HOST` are set here. */
  env: Record<string, string | undefined>
  cwd?: string
  /** Where the merged log goes, each line prefixed by its service's name. */
  out?: NodeJS.WritableStream
}

const OUTPUT_LIMIT = 1 << 20

/** Starts every given service of a build (`femto up`, the testing helper). */
export function spawnServices(options: SpawnOptions): ServiceProcess[] {
  const width = Math.max(7, ...options.services.map(s => s.name.length))
  return options.services.map((service, index) => {
    const port = options.ports.get(service.name)!
    const child = spawn(process.execPath, [join(options.dir, service.file)], {
      cwd: options.cwd,
      env: { FEMTO_LOG_FORMAT: 'pretty', ...process.env, ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const keep = (chunk: Buffer): void => {
      output += chunk.toString()
      if (output.length > OUTPUT_LIMIT)
        output = output.slice(-OUTPUT_LIMIT)
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    if (options.out) {
      prefixLines(child.stdout!, service.name, index, width, options.out)
      prefixLines(child.stderr!, service.name, index, width, options.out)
    }
    return { name: service.name, origin: `http://127.0.0.1:${port}`, child, output: () => output }
  })
}

/** Waits until a service answers `/healthz`; if it exits or never does, the error carries its output (its stack trace). */
export async function waitHealthy(service: ServiceProcess, who: string, timeoutMs = 15_000): Promise<void> {
  const ended: { why?: string } = {}
  // 'close', not 'exit': by then its last words on stderr, which say why, have arrived.
  service.child.once('close', (code, signal) => {
    ended.why = signal ?? `code ${code}`
  })
  service.child.once('error', (error) => {
    ended.why = error.message
  })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (ended.why !== undefined)
      throw new Error(`${who}: service '${service.name}' exited (${ended.why}) before it was healthy. Its output:\n${service.output()}`)
    if (Date.now() > deadline)
      throw new Error(`${who}: service '${service.name}' did not answer ${service.origin}/healthz within ${timeoutMs} ms. Its output:\n${service.output()}`)
    try {
      const res = await fetch(`${service.origin}/healthz`)
      await res.body?.cancel()
      if (res.ok)
        return
    }
    catch {}
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

/**
 * SIGTERM: the service finishes its calls within its own bound and exits. A caller that cannot
 * wait that long (a test) gives `killAfterMs`, then SIGKILL. Resolves once its output has all arrived.
 */
export function stopService(service: ServiceProcess, killAfterMs?: number): Promise<void> {
  const { child } = service
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return done()
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.once('close', () => {
      clearTimeout(timer)
      done()
    })
    child.kill('SIGTERM')
  })
}
