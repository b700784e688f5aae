import type { ChildProcess } from 'node:child_process'
import type { ManifestService } from '../core/build/manifest'
import type { CannotListenMessage, ListeningMessage, PeersMessage } from '../runtime/server/listening'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { CANNOT_LISTEN_MESSAGE, LISTENING_MESSAGE, PEERS_MESSAGE, PEERS_SET_MESSAGE, STOPPED_LISTENING_MESSAGE } from '../runtime/server/listening'
import { keptOutput } from './kept-output'
import { prefixLines } from './logs'

/** One service of a build, running as `node <service>.js` on loopback. */
export interface ServiceProcess {
  name: string
  /** `http://127.0.0.1:<port>`; for a service started on port 0, known once `waitListening` resolves. */
  origin: string
  /** The process running it now: `respawn` replaces it. */
  child: ChildProcess
  /** What it wrote on stdout and stderr (the last MiB), across restarts: for errors and `logs()`. */
  output: () => string
  /** What the current process said on its channel: the port it listens on, or why it cannot, or that it no longer listens. */
  said: { listening?: ListeningMessage, cannotListen?: CannotListenMessage, stoppedListening?: boolean }
  /**
   * Starts it again on `port`, with `env` over the environment it was first given: after it
   * exited, or once it stopped listening (the port is free) while it finishes its calls.
   */
  respawn: (port: number, env: Record<string, string>) => void
  /** Processes it replaced that have not exited yet: they finish their calls. */
  draining: Set<ChildProcess>
}

/** A service that exited because its port is taken, not allowed, or no port. */
export class CannotListenError extends Error {
  constructor(message: string, readonly service: string, readonly port: number, readonly code: string) {
    super(message)
  }
}

export interface SpawnOptions {
  /** The servers folder of the build. */
  dir: string
  services: ManifestService[]
  /** The port of each service; 0: any port the OS gives it, which the service reports (`waitListening`). */
  ports: Map<string, number>
  /** Over the parent's environment (`FEMTO_TOKEN`, `FEMTO_URL_*`, …); `PORT` and `HOST` are set here. */
  env: Record<string, string | undefined>
  cwd?: string
  /** Where the merged log goes, each line prefixed by its service's name. */
  out?: NodeJS.WritableStream
}

const OUTPUT_LIMIT = 1 << 20

/**
 * Starts every given service of a build (`femto up`, the testing helper), each with an IPC
 * channel on which the runtime reports the port it listens on (runtime/server/listening.ts).
 */
export function spawnServices(options: SpawnOptions): ServiceProcess[] {
  const width = Math.max(7, ...options.services.map(s => s.name.length))
  return options.services.map((service, index) => {
    const { keep, text: output } = keptOutput(OUTPUT_LIMIT)
    const port = options.ports.get(service.name)!
    const running: ServiceProcess = {
      name: service.name,
      origin: port === 0 ? '' : `http://127.0.0.1:${port}`,
      child: undefined as unknown as ChildProcess,
      output,
      said: {},
      respawn: (again, env) => {
        const before = running.child
        if (before.exitCode === null && before.signalCode === null) {
          running.draining.add(before)
          before.once('close', () => running.draining.delete(before))
        }
        running.said = {}
        running.child = start(again, { ...options.env, ...env })
      },
      draining: new Set(),
    }
    function start(port: number, env: Record<string, string | undefined>): ChildProcess {
      const child = spawn(process.execPath, [join(options.dir, service.file)], {
        cwd: options.cwd,
        env: { FEMTO_LOG_FORMAT: 'pretty', ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      })
      child.stdout!.on('data', keep)
      child.stderr!.on('data', keep)
      if (options.out) {
        prefixLines(child.stdout!, service.name, index, width, options.out)
        prefixLines(child.stderr!, service.name, index, width, options.out)
      }
      // Kept from the start: a message that comes before anyone waits for it is not lost.
      // Only the current process's: one it replaced still talks while it drains.
      child.on('message', (message: { type?: string }) => {
        if (running.child !== child)
          return
        if (message?.type === LISTENING_MESSAGE)
          running.said.listening = message as ListeningMessage
        else if (message?.type === CANNOT_LISTEN_MESSAGE)
          running.said.cannotListen = message as CannotListenMessage
        else if (message?.type === STOPPED_LISTENING_MESSAGE)
          running.said.stoppedListening = true
      })
      // The channel does not keep this process alive, as the pipes do not.
      child.channel?.unref()
      return child
    }
    running.child = start(port, options.env)
    return running
  })
}

/**
 * The first step of a service's start: resolves once it says which port it listens on, with its
 * origin set. A service given a port says so too: only then is it known that the process on that
 * port is this one, and not another that held the port already (this one then exits, and the
 * error is a `CannotListenError`). If it exits first or says nothing within `timeoutMs`, the error
 * carries its output.
 */
export function waitListening(service: ServiceProcess, who: string, timeoutMs = 15_000): Promise<void> {
  const heard = (message: ListeningMessage): void => {
    service.origin = `http://127.0.0.1:${message.port}`
  }
  if (service.said.listening) {
    heard(service.said.listening)
    return Promise.resolve()
  }
  return untilMessage(service, who, timeoutMs, `did not report the port it listens on within ${timeoutMs} ms`, (message) => {
    if ((message as Partial<ListeningMessage>)?.type !== LISTENING_MESSAGE)
      return false
    heard(message as ListeningMessage)
    return true
  })
}

/**
 * Gives a running service the addresses of the others (`FEMTO_URL_<NAME>`), for services
 * started on port 0, whose addresses could not be in its environment; resolves once it has them.
 */
export function tellPeers(service: ServiceProcess, env: Record<string, string>, who: string, timeoutMs = 15_000): Promise<void> {
  const done = untilMessage(service, who, timeoutMs, `did not take the other services' addresses within ${timeoutMs} ms`, message => (message as { type?: string })?.type === PEERS_SET_MESSAGE)
  service.child.send({ type: PEERS_MESSAGE, env } satisfies PeersMessage)
  return done
}

function untilMessage(service: ServiceProcess, who: string, timeoutMs: number, late: string, matches: (message: unknown) => boolean): Promise<void> {
  const { child } = service
  return new Promise((resolve, reject) => {
    const listeners = {
      message: (message: unknown): void => {
        if (matches(message))
          finish()
      },
      // 'close', not 'exit': by then its last words on stderr, which say why, have arrived.
      close: (code: number | null, signal: NodeJS.Signals | null): void => finish(failure(`exited (${signal ?? `code ${code}`}) before it was healthy`)),
      error: (error: Error): void => finish(failure(`could not be started (${error.message})`)),
    }
    const timer = setTimeout(() => finish(failure(late)), timeoutMs)
    function failure(why: string): Error {
      const refused = service.said.cannotListen
      if (refused)
        return new CannotListenError(`${who}: service '${service.name}' cannot listen on port ${refused.port}: ${refused.line}`, service.name, refused.port, refused.code)
      return new Error(`${who}: service '${service.name}' ${why}. Its output:\n${service.output()}`)
    }
    function finish(error?: Error): void {
      clearTimeout(timer)
      child.off('message', listeners.message)
      child.off('close', listeners.close)
      child.off('error', listeners.error)
      if (error)
        reject(error)
      else
        resolve()
    }
    child.on('message', listeners.message)
    child.on('close', listeners.close)
    child.on('error', listeners.error)
    if (child.exitCode !== null || child.signalCode !== null)
      listeners.close(child.exitCode, child.signalCode)
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
    let answered: { ok: boolean, pid?: unknown } | undefined
    try {
      // A process that accepts but never answers (a blocked event loop) must not hold this past the deadline.
      // A connection of its own, closed after the answer: a kept-alive one could reach a process
      // this one replaced, which answers on its open connections while it drains.
      const res = await fetch(`${service.origin}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(Math.max(1, Math.min(2_000, deadline - Date.now()))) })
      answered = { ok: res.ok, pid: res.ok ? (await res.json() as { pid?: unknown })?.pid : (await res.body?.cancel(), undefined) }
    }
    catch {}
    // A build from before /healthz carried the pid is taken on its word on the channel (waitListening).
    if (answered?.ok && answered.pid !== undefined && answered.pid !== service.child.pid) {
      const port = new URL(service.origin).port
      throw new CannotListenError(`${who}: port ${port} of service '${service.name}' is answered by another process (pid ${String(answered.pid)}, not ${service.child.pid}, which ${who} started)`, service.name, Number(port), 'FOREIGN')
    }
    if (answered?.ok)
      return
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

/**
 * SIGTERM: the service finishes its calls within its own bound and exits. A caller that cannot
 * wait that long (a test) gives `killAfterMs`, then SIGKILL. Resolves once its output has all arrived.
 */
export async function stopService(service: ServiceProcess, killAfterMs?: number): Promise<void> {
  // One it replaced drains already: a second SIGTERM would end it at once, calls and all.
  await Promise.all([stopProcess(service.child, killAfterMs, true), ...Array.from(service.draining, child => stopProcess(child, killAfterMs, false))])
}

function stopProcess(child: ChildProcess, killAfterMs: number | undefined, signal: boolean): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return done()
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.once('close', () => {
      clearTimeout(timer)
      done()
    })
    if (signal)
      child.kill('SIGTERM')
  })
}
