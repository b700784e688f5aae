import type { ChildProcess } from 'node:child_process'
import type { Server } from 'node:http'
import type { Manifest, ManifestFunction, ManifestService } from './core/build/manifest'
import type { Options } from './core/registry/options'
import type { ResolvedPolicy } from './core/registry/policy'
import type { StubMeta } from './runtime/shared/protocol'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildServers } from './core/build/build-servers'
import { MANIFEST_FILE } from './core/build/manifest'
import { createContext } from './core/registry/context'
import { isPublic } from './core/registry/exposure'
import { stubPolicyOf } from './core/registry/policy'
import { callFemtoAt } from './runtime/client/call'
import { createGateway } from './up/gateway'
import { spawnServices, stopService, tellPeers, waitHealthy, waitListening } from './up/processes'
import { clientFolder } from './up/static'

/**
 * What a femto function looks like from a test: the same parameters, always asynchronous (it is
 * a call over HTTP), and an `async function*` is an `AsyncIterable` of what it yields.
 */
export type FemtoClient<F> = F extends (...args: infer A) => infer R
  ? R extends AsyncIterable<infer Y>
    ? (...args: A) => AsyncIterable<Y>
    : (...args: A) => Promise<Awaited<R>>
  : never

export interface StartFemtoOptions {
  /** The project to build (like the plugin would, without any bundler): its root folder. */
  root?: string
  /** Or an existing build to run instead: the bundler's output folder, holding `servers/femto.json`. */
  outDir?: string
  /**
   * Start only the services of these functions, and of every function they call (found in their
   * bundles), instead of the whole build.
   */
  functions?: string[]
  /** Plugin options for the build (`summary` is off unless set). With `outDir`: only `serversDir` is read. */
  options?: Options
  /** Aliases and compile-time replacements for the services' code, as the bundler's config would give them. */
  alias?: Record<string, string>
  define?: Record<string, string>
  /**
   * Environment of every service, over the test process's own. A `FEMTO_URL_<NAME>` here sends
   * calls to NAME there (a fake of your own); that service is then not started.
   */
  env?: Record<string, string>
  /** `FEMTO_TOKEN` of the services; clients and the gateway send it. Default: none. */
  token?: string
  /** Also write the services' log lines there, prefixed with their names (e.g. `process.stdout`). */
  out?: NodeJS.WritableStream
  /** How long each service may take to answer `/healthz`. Default 15 s. */
  startTimeoutMs?: number
}

export interface RunningFemto extends AsyncDisposable {
  /** The gateway in front of the started services: `POST {gateway}/femto/{name}`, `/docs`. */
  gateway: string
  /** Origin of the service that serves a function (or of a service, by its name): `http://127.0.0.1:PORT`. */
  url: (name: string) => string
  /** A typed client of a function: `femto.client<typeof add>('add')`. Calls go over HTTP through the runtime's stub. */
  client: <F extends (...args: any[]) => any>(name: string) => FemtoClient<F>
  /** `femto.json` of the build. */
  manifest: Manifest
  /** The build's output folder (a temporary one, removed on close, when the helper built it). */
  outDir: string
  /** Names of the services started. */
  services: string[]
  /** What the services wrote (stdout and stderr), all or one service's. */
  logs: (service?: string) => string
  /** Stops every service and the gateway, and removes the temporary build. */
  close: () => Promise<void>
}

/** A test cannot wait for a service's own shutdown bound (its longest timeout): SIGKILL after this. */
const KILL_AFTER_MS = 5_000

// Services a test forgot to close must not outlive the test process.
const live = new Set<ChildProcess>()
const tempDirs = new Set<string>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled)
    return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of live)
      child.kill('SIGKILL')
    for (const dir of tempDirs)
      rmSync(dir, { recursive: true, force: true })
  })
}

/**
 * Builds a project's femto functions (or takes an existing build), starts their services as real
 * Node processes, each on a port the OS gives it, with a gateway in front, and gives typed clients that call them
 * over HTTP exactly as a browser stub does.
 */
export async function startFemto(options: StartFemtoOptions): Promise<RunningFemto> {
  if ((options.root === undefined) === (options.outDir === undefined))
    throw new Error('startFemto: pass either `root` (a project to build) or `outDir` (an existing build)')
  installExitHook()
  const serversDir = options.options?.serversDir ?? 'servers'
  let outDir: string
  let temporary: string | undefined
  if (options.root !== undefined) {
    temporary = await mkdtemp(join(tmpdir(), 'femto-test-'))
    tempDirs.add(temporary)
    outDir = temporary
    try {
      const ctx = createContext({ summary: false, ...options.options })
      ctx.setRoot(resolve(options.root))
      await ctx.prepare()
      // A temporary folder has no next build: nothing is left in the project's node_modules/.cache.
      await buildServers(ctx, { outDir, alias: options.alias, define: options.define, history: false })
    }
    catch (error) {
      await removeTemp(temporary)
      throw error
    }
  }
  else {
    outDir = resolve(options.outDir!)
  }
  const dir = join(outDir, serversDir)

  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'))
  }
  catch (error) {
    await removeTemp(temporary)
    throw new Error(`startFemto: no ${serversDir}/${MANIFEST_FILE} in ${outDir}. Build the app first, or pass \`root\` to let the helper build it`, { cause: error })
  }

  let services: ManifestService[]
  try {
    services = await servicesToStart(manifest, dir, options)
  }
  catch (error) {
    await removeTemp(temporary)
    throw error
  }

  // Every service listens on port 0 and reports the port it got: none is picked here and
  // taken by another process before the service starts. Each is then told the others' addresses.
  const ports = new Map(services.map(service => [service.name, 0]))
  const token = options.token ?? ''
  const running = spawnServices({
    dir,
    services,
    ports,
    env: { FEMTO_TOKEN: token, ...options.env },
    cwd: options.root === undefined ? outDir : resolve(options.root),
    out: options.out,
  })
  for (const { child } of running) {
    live.add(child)
    child.once('exit', () => live.delete(child))
  }
  const origins = new Map<string, string>()

  const routes = new Map<string, string>()
  const gateway = createGateway({ ...clientFolder(outDir, [serversDir, 'deploy']), basePath: manifest.basePath, routes, docsDir: dir, token })

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => closing ??= (async () => {
    gateway.closeAllConnections()
    await Promise.all([
      new Promise<void>(done => gateway.close(() => done())),
      ...running.map(service => stopService(service, KILL_AFTER_MS)),
    ])
    await removeTemp(temporary)
  })()

  let gatewayUrl: string
  try {
    await Promise.all(running.map(service => waitListening(service, 'startFemto', options.startTimeoutMs)))
    for (const service of running)
      origins.set(service.name, service.origin)
    // A `FEMTO_URL_<NAME>` of the options (a fake) wins over the service started.
    const peers = Object.fromEntries(services.filter(s => options.env?.[s.env] === undefined).map(s => [s.env, origins.get(s.name)!]))
    await Promise.all(running.map(service => tellPeers(service, peers, 'startFemto', options.startTimeoutMs)))
    await Promise.all(running.map(service => waitHealthy(service, 'startFemto', options.startTimeoutMs)))
    for (const fn of manifest.functions.filter(isPublic)) {
      const origin = origins.get(fn.service)
      if (origin !== undefined)
        routes.set(fn.route, origin)
    }
    gatewayUrl = await listen(gateway)
  }
  catch (error) {
    await close()
    throw error
  }

  const started = (name: string): { fn?: ManifestFunction, origin: string } => {
    const fn = manifest.functions.find(f => f.name === name)
    const service = fn?.service ?? manifest.services.find(s => s.name === name)?.name
    if (service === undefined)
      throw new Error(`startFemto: no femto function or service is named '${name}' (functions: ${manifest.functions.map(f => f.name).join(', ')})`)
    const origin = origins.get(service)
    if (origin === undefined)
      throw new Error(`startFemto: '${name}' is served by '${service}', which was not started (started: ${[...origins.keys()].join(', ') || 'none'}); add it to \`functions\``)
    return { fn, origin }
  }

  return {
    gateway: gatewayUrl,
    url: name => started(name).origin,
    client: <F extends (...args: any[]) => any>(name: string): FemtoClient<F> => {
      const { fn, origin } = started(name)
      if (!fn)
        throw new Error(`startFemto: '${name}' is a service, not a function; ask for a client of one of its functions`)
      const policy = stubPolicyOf(fn.policies as unknown as ResolvedPolicy)
      const meta: StubMeta = {
        name: fn.name,
        route: fn.route,
        contract: fn.contract,
        ...(fn.stream ? { stream: true } : {}),
        ...(policy ? { policy } : {}),
        // The circuit breaker is kept per service; these services are not those of another test.
        service: `${fn.service} at ${origin}`,
      }
      const headers = token ? { authorization: `Bearer ${token}` } : undefined
      return ((...args: unknown[]) => callFemtoAt(origin, meta, args, headers)) as FemtoClient<F>
    },
    manifest,
    outDir,
    services: services.map(s => s.name),
    logs: (service?: string) => service === undefined ? running.map(s => s.output()).join('') : running.find(s => s.name === service)?.output() ?? '',
    close,
    [Symbol.asyncDispose]: close,
  }
}

/**
 * The services of the functions asked for, and of every function they call: a service's bundle
 * names the `FEMTO_URL_<NAME>` of each callee whose stub survived tree-shaking.
 */
async function servicesToStart(manifest: Manifest, dir: string, options: StartFemtoOptions): Promise<ManifestService[]> {
  if (options.functions === undefined)
    return manifest.services
  const byEnv = new Map(manifest.services.map(s => [s.env, s]))
  const wanted: ManifestService[] = []
  for (const name of options.functions) {
    const fn = manifest.functions.find(f => f.name === name)
    if (!fn)
      throw new Error(`startFemto: functions: no femto function is named '${name}' (known: ${manifest.functions.map(f => f.name).join(', ')})`)
    wanted.push(manifest.services.find(s => s.name === fn.service)!)
  }
  const chosen = new Set<ManifestService>()
  for (let service = wanted.shift(); service; service = wanted.shift()) {
    if (chosen.has(service))
      continue
    chosen.add(service)
    const code = await readFile(join(dir, service.file), 'utf8')
    for (const [env] of code.matchAll(/\bFEMTO_URL_\w+/g)) {
      const callee = byEnv.get(env)
      if (callee && callee !== service && options.env?.[env] === undefined)
        wanted.push(callee)
    }
  }
  return manifest.services.filter(s => chosen.has(s))
}

function listen(server: Server): Promise<string> {
  return new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done(`http://127.0.0.1:${(server.address() as { port: number }).port}`))
  })
}

async function removeTemp(dir: string | undefined): Promise<void> {
  if (dir === undefined)
    return
  tempDirs.delete(dir)
  await rm(dir, { recursive: true, force: true })
}
