import type { PreviewServer } from 'vite'
import type { Manifest } from '../build/manifest'
import type { OutputDirs } from './output-dirs'
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { proxy } from '../../up/gateway'
import { spawnServices, stopService, tellPeers, waitHealthy, waitListening } from '../../up/processes'
import { MANIFEST_FILE } from '../build/manifest'
import { isPublic } from '../registry/exposure'

export interface PreviewServices {
  /** Stops every service (the preview server's `closePreviewServer`). */
  close: () => Promise<void>
}

/**
 * `vite preview` runs the build as it ships: every service of `dirs.servers` as its own process
 * (as `femto up` does, each on a port the OS gives it), and `{basePath}/{name}` forwarded to it
 * with the gateway's own proxy, so calls meet the production wire, contract checks included.
 * Resolves once every service answers its health check, before the preview server listens.
 */
export async function serveBuiltServices(server: PreviewServer, dirs: OutputDirs): Promise<PreviewServices> {
  const logger = server.config.logger
  let manifest: Manifest
  const file = join(dirs.servers, MANIFEST_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw error
    logger.warn(`[unplugin-femto] no ${relative(server.config.root, file)}: run \`vite build\` first; calls are not served`)
    return { close: async () => {} }
  }
  try {
    manifest = JSON.parse(text)
  }
  catch (error) {
    throw new Error(`[unplugin-femto] ${relative(server.config.root, file)} is not valid JSON (${(error as Error).message}); run \`vite build\` again`)
  }
  // The services trust this preview server's calls, not whoever else can reach their ports.
  const token = process.env.FEMTO_TOKEN || randomBytes(24).toString('hex')
  const running = spawnServices({
    dir: dirs.servers,
    services: manifest.services,
    ports: new Map(manifest.services.map(s => [s.name, 0])),
    env: { FEMTO_TOKEN: token },
    // Each line prefixed by its service, unless the preview server was told to be silent.
    out: server.config.logLevel === 'silent' ? undefined : process.stdout,
  })
  const close = async (): Promise<void> => {
    await Promise.all(running.map(service => stopService(service)))
  }
  const routes = new Map<string, string>()
  try {
    await Promise.all(running.map(service => waitListening(service, 'vite preview')))
    const peers = Object.fromEntries(manifest.services.map((s, i) => [s.env, running[i]!.origin]))
    await Promise.all(running.map(service => tellPeers(service, peers, 'vite preview')))
    await Promise.all(running.map(service => waitHealthy(service, 'vite preview')))
  }
  catch (error) {
    await close()
    throw error
  }
  const origins = new Map(running.map(service => [service.name, service.origin]))
  // As every gateway: only public functions; an internal one is for the services alone.
  for (const fn of manifest.functions.filter(isPublic))
    routes.set(fn.route, origins.get(fn.service)!)

  const prefix = `${manifest.basePath}/`
  server.middlewares.use((req, res, next) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (!path.startsWith(prefix))
      return next()
    const origin = routes.get(path)
    if (origin)
      return proxy(req, res, origin, token)
    const body = JSON.stringify({ error: { code: 'NOT_FOUND', message: `no femto function at ${path}` } })
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  logger.info(`  femto: ${manifest.services.length} service(s) of ${relative(server.config.root, dirs.servers) || '.'} behind ${manifest.basePath}/`)
  return { close }
}
