import type { Manifest } from '../core/build/manifest'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { MANIFEST_FILE } from '../core/build/manifest'
import { noBuildIn, serversOnlyEntries } from '../core/plugin/output-dirs'
import { isPublic } from '../core/registry/exposure'
import { letGoOfIdleConnections } from '../runtime/client/not-reached'
import { LOCAL_SOCKET_DIR_ENV } from '../runtime/server/local-socket'
import { appEnv, startApp } from './app'
import { createGateway } from './gateway'
import { asSpawned, previousPeers, previousServices, routePrevious } from './previous'
import { CannotListenError, spawnServices, stopService, tellPeers, waitHealthy, waitListening } from './processes'
import { reachOverSocket } from './proxy'
import { superviseRestarts } from './restart'
import { clientFolder } from './static'

export interface UpOptions {
  /** The build's output folder (holding `servers/femto.json`). */
  outDir: string
  /** Gateway port; 0 picks a free one. */
  port: number
  /** Give every service a free port (each listens on port 0 and reports the port it got) instead of its manifest port. */
  freePorts?: boolean
  serversDir?: string
  out?: NodeJS.WritableStream
  /** Aborted (a signal came) while starting: every service started so far is stopped, and `up` rejects. */
  signal?: AbortSignal
  /** A framework's server to run in the gateway's place (`--app`, src/up/app.ts): no gateway starts then. */
  app?: string
}

/** Port 0 cannot be connected to: the connection is refused, as for a service that is down. */
const REFUSING_ORIGIN = 'http://127.0.0.1:0'

export interface Running {
  url: string
  ports: Map<string, number>
  close: () => Promise<void>
}

/** Starts every service of a build, waits until each is healthy, then a gateway in front. */
export async function up(options: UpOptions): Promise<Running> {
  const outDir = resolve(options.outDir)
  const serversDir = options.serversDir ?? 'servers'
  const dir = join(outDir, serversDir)
  const out = options.out ?? process.stdout
  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'))
  }
  catch {
    throw new Error(noBuildIn('up', outDir, serversDir))
  }

  const wanted = new Map(manifest.services.map(s => [s.name, options.freePorts ? 0 : s.port]))
  // The services of one `femto up` trust each other and the gateway, not whoever else can reach
  // their ports: a token of their own, unless one is given.
  const token = process.env.FEMTO_TOKEN || randomBytes(24).toString('hex')
  const env: Record<string, string> = { FEMTO_TOKEN: token }
  // The gateway reaches the services on Unix sockets in a folder of this run's, which only this
  // user can enter (local-socket.ts); not on Windows, whose local sockets are named pipes.
  const socketDir = process.platform === 'win32' ? undefined : await mkdtemp(join(tmpdir(), 'femto-up-'))
  if (socketDir)
    env[LOCAL_SOCKET_DIR_ENV] = socketDir
  // Free ports are known once the services report them: then each is told the others' (below).
  if (!options.freePorts) {
    for (const service of manifest.services)
      env[service.env] = `http://127.0.0.1:${service.port}`
  }

  const width = Math.max(7, ...manifest.services.map(s => s.name.length))
  const log = (line: string): void => void out.write(`${'femto'.padEnd(width)} | ${line}\n`)
  const running = spawnServices({ dir, services: manifest.services, ports: wanted, env, out })
  // Version skew: previous versions still in their window, on free ports, with the current build's run-time files.
  const older = previousServices(manifest)
  const runningOlder = spawnServices({ dir, services: older.map(asSpawned), ports: new Map(older.map(o => [o.name, 0])), env: { ...env, FEMTO_FILES_DIR: dir }, out })
  const previous = new Map<string, Map<string, string>>()
  const supervisors: Array<{ stop: () => void }> = []

  const routes = new Map<string, string>()
  // A call of an idempotent function whose connection breaks mid-way (its service killed) is sent once more.
  const idempotent = new Set(manifest.functions.filter(fn => fn.policies.idempotent).map(fn => fn.route))
  // Said once per function: the caller gets the 404 of a function that does not exist.
  const internal = new Map(manifest.functions.filter(fn => !isPublic(fn)).map(fn => [fn.route, fn]))
  const unrouted = (path: string): void => {
    const fn = internal.get(path)
    if (fn === undefined)
      return
    internal.delete(path)
    const why = fn.exposureReason === 'policy' ? 'its policy says exposure=internal' : 'no client code imports its module'
    log(`${path}: 404 at the gateway: ${fn.name} is internal (${why}), so only other services may call it. To publish it, give it the policy 'femto exposure=public' and build again`)
  }
  const gateway = createGateway({ ...clientFolder(outDir, serversOnlyEntries(serversDir)), basePath: manifest.basePath, routes, previous, docsDir: join(outDir, serversDir), token, idempotent, unrouted })
  let app: Awaited<ReturnType<typeof startApp>> | undefined
  let closing: Promise<void> | undefined
  // Restarts end first: a service that exits while femto up stops is not started again.
  const close = (): Promise<void> => closing ??= (async () => {
    for (const supervisor of supervisors)
      supervisor.stop()
    gateway.closeAllConnections()
    gateway.close()
    // A service exits once its callers let go of their idle connections (drain.ts): the gateway's go now.
    letGoOfIdleConnections()
    await app?.close()
    await Promise.all([...running, ...runningOlder].map(service => stopService(service)))
    for (const service of [...running, ...runningOlder])
      reachOverSocket(service.origin, undefined)
    if (socketDir)
      await rm(socketDir, { recursive: true, force: true })
  })()
  const stopped = (): void => void close()
  options.signal?.addEventListener('abort', stopped, { once: true })

  try {
    if (options.signal?.aborted)
      throw new Error('femto up: stopped before it started')
    await Promise.all([...running, ...runningOlder].map(service => waitListening(service, 'femto up')))
    for (const service of [...running, ...runningOlder])
      reachOverSocket(service.origin, service.said.listening?.socket)
    // Every process is told where the others are: the free ports, and the previous versions (on free ports always).
    const skewPeers = previousPeers(older, runningOlder.map(service => service.origin))
    if (options.freePorts || older.length > 0) {
      const peers = { ...(options.freePorts ? Object.fromEntries(manifest.services.map((s, i) => [s.env, running[i]!.origin])) : {}), ...skewPeers }
      await Promise.all([...running, ...runningOlder].map(service => tellPeers(service, peers, 'femto up')))
    }
    await Promise.all([...running, ...runningOlder].map(service => waitHealthy(service, 'femto up')))
    older.forEach((service, i) => routePrevious(previous, service, runningOlder[i]!.origin))
    const origins = new Map(running.map(service => [service.name, service.origin]))
    // Only public functions: an internal one is for the services alone (registry/exposure.ts).
    for (const fn of manifest.functions.filter(isPublic))
      routes.set(fn.route, origins.get(fn.service)!)
    // The app serves the pages and, through unplugin-femto/handler, the calls: it takes the gateway's place.
    if (options.app) {
      app = await startApp({ command: options.app, port: options.port, env: { ...appEnv(manifest, origins, token, join(dir, MANIFEST_FILE)), ...skewPeers }, out, width, onExit: code => void close().then(() => void (process.exitCode = code)) })
    }
    else {
      await new Promise<void>((done, fail) => {
        gateway.once('error', (error: NodeJS.ErrnoException) => fail(error.code === 'EADDRINUSE'
          ? new Error(`femto up: the gateway cannot listen on 127.0.0.1:${options.port}: another process already listens on that port; use --port N (--port 0: any free one)`)
          : error))
        gateway.listen(options.port, '127.0.0.1', () => done())
      })
    }
  }
  catch (error) {
    options.signal?.removeEventListener('abort', stopped)
    await close()
    if (options.signal?.aborted)
      throw new Error(`femto up: stopped (${String(options.signal.reason ?? 'aborted')}) while starting`)
    throw error instanceof CannotListenError && (error.code === 'EADDRINUSE' || error.code === 'FOREIGN')
      ? new Error(`femto up: port ${error.port} of service '${error.service}' is taken by another process; stop that process, or run femto up --free-ports to give every service a free port`)
      : error
  }

  // From now on a service that exits is started again, on the port it had, with every peer's address.
  const restartEnv = { ...env, ...Object.fromEntries(manifest.services.map((s, i) => [s.env, running[i]!.origin])), ...previousPeers(older, runningOlder.map(service => service.origin)) }
  for (const service of running) {
    const own = manifest.functions.filter(fn => fn.service === service.name && isPublic(fn)).map(fn => fn.route)
    supervisors.push(superviseRestarts(service, {
      log,
      env: restartEnv,
      // Never a call to a process femto up did not start: its routes refuse until it is back.
      onForeign: () => {
        for (const route of own)
          routes.set(route, REFUSING_ORIGIN)
      },
      onHealthy: () => {
        reachOverSocket(service.origin, service.said.listening?.socket)
        for (const route of own)
          routes.set(route, service.origin)
      },
    }))
  }
  older.forEach((service, i) => supervisors.push(superviseRestarts(runningOlder[i]!, {
    log,
    env: { ...restartEnv, FEMTO_FILES_DIR: dir },
    onForeign: () => routePrevious(previous, service, undefined),
    onHealthy: (process) => {
      reachOverSocket(process.origin, process.said.listening?.socket)
      routePrevious(previous, service, process.origin)
    },
  })))
  if (older.length > 0)
    log(`previous versions still served: ${older.map(o => `${o.name} (${[...o.serves.keys()].join(', ')})`).join('; ')}`)
  const address = gateway.address()
  const url = app?.url ?? `http://localhost:${typeof address === 'object' && address ? address.port : options.port}`
  log(`${manifest.services.length} service(s) up; ${app ? 'the app' : 'gateway'} at ${url}`)
  const ports = new Map(running.map(service => [service.name, Number(new URL(service.origin).port)]))
  return { url, ports, close }
}
