import type { Manifest } from '../core/build/manifest'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { MANIFEST_FILE } from '../core/build/manifest'
import { createGateway } from './gateway'
import { spawnServices, stopService, tellPeers, waitHealthy, waitListening } from './processes'
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
}

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
    throw new Error(`femto up: no ${serversDir}/${MANIFEST_FILE} in ${outDir}. Build the app first (e.g. \`vite build\`), then pass its output folder`)
  }

  const wanted = new Map(manifest.services.map(s => [s.name, options.freePorts ? 0 : s.port]))
  // The services of one `femto up` trust each other and the gateway, not whoever else can reach
  // their ports: a token of their own, unless one is given.
  const token = process.env.FEMTO_TOKEN || randomBytes(24).toString('hex')
  const env: Record<string, string> = { FEMTO_TOKEN: token }
  // Free ports are known once the services report them: then each is told the others' (below).
  if (!options.freePorts) {
    for (const service of manifest.services)
      env[service.env] = `http://127.0.0.1:${service.port}`
  }

  const width = Math.max(7, ...manifest.services.map(s => s.name.length))
  let closing = false
  const running = spawnServices({ dir, services: manifest.services, ports: wanted, env, out })
  for (const service of running) {
    service.child.on('exit', (code, signal) => {
      if (!closing)
        out.write(`${'femto'.padEnd(width)} | service ${service.name} exited (${signal ?? `code ${code}`})\n`)
    })
  }

  const routes = new Map<string, string>()
  const gateway = createGateway({ ...clientFolder(outDir, [serversDir, 'deploy']), basePath: manifest.basePath, routes, docsDir: join(outDir, serversDir), token })
  const close = async (): Promise<void> => {
    closing = true
    gateway.closeAllConnections()
    gateway.close()
    await Promise.all(running.map(service => stopService(service)))
  }

  try {
    await Promise.all(running.map(service => waitListening(service, 'femto up')))
    if (options.freePorts) {
      const peers = Object.fromEntries(manifest.services.map((s, i) => [s.env, running[i]!.origin]))
      await Promise.all(running.map(service => tellPeers(service, peers, 'femto up')))
    }
    await Promise.all(running.map(service => waitHealthy(service, 'femto up')))
    const origins = new Map(running.map(service => [service.name, service.origin]))
    for (const fn of manifest.functions)
      routes.set(fn.route, origins.get(fn.service)!)
    await new Promise<void>((done, fail) => {
      gateway.once('error', fail)
      gateway.listen(options.port, '127.0.0.1', () => done())
    })
  }
  catch (error) {
    await close()
    throw error
  }
  const address = gateway.address()
  const url = `http://localhost:${typeof address === 'object' && address ? address.port : options.port}`
  out.write(`${'femto'.padEnd(width)} | ${manifest.services.length} service(s) up; gateway at ${url}\n`)
  const ports = new Map(running.map(service => [service.name, Number(new URL(service.origin).port)]))
  return { url, ports, close }
}
