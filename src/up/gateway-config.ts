import type { Manifest } from '../core/build/manifest'
import type { GatewayOptions } from './gateway'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isPublic } from '../core/registry/exposure'
import { serviceUrlVariable } from '../runtime/shared/service-env'

/** What the standalone gateway (`node gateway.js`) runs with, read from its environment. */
export interface GatewayConfig {
  gateway: GatewayOptions
  port: number
  host: string
}

/** A configuration the gateway cannot run with: `message` is the one line it exits with. */
export class GatewayConfigError extends Error {}

/**
 * The standalone gateway's configuration: the manifest for the routes, and each service's origin
 * from the same `FEMTO_URL_<SERVICE>` variable the services use to call each other, so a Compose
 * file or a Kubernetes ConfigMap that already sets them for the services configures the gateway too.
 */
export function gatewayConfig(env: NodeJS.ProcessEnv, cwd: string): GatewayConfig {
  const manifestPath = resolve(cwd, env.FEMTO_MANIFEST || './femto.json')
  let manifest: Manifest
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  }
  catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new GatewayConfigError(`femto gateway: cannot read the manifest ${manifestPath} (${why}); set FEMTO_MANIFEST to the build's servers/femto.json`)
  }
  if (!Array.isArray(manifest?.services) || !Array.isArray(manifest.functions))
    throw new GatewayConfigError(`femto gateway: ${manifestPath} is not a femto.json (no services or functions)`)

  const origins = new Map<string, string>()
  for (const service of manifest.services) {
    const origin = env[service.env]
    const example = `${service.env}=http://${service.name}:${service.port}`
    if (!origin)
      throw new GatewayConfigError(`femto gateway: ${service.env} is not set; set it to the origin of service '${service.name}', e.g. ${example}`)
    if (!/^https?:$/.test(URL.parse(origin)?.protocol ?? ''))
      throw new GatewayConfigError(`femto gateway: ${service.env}=${origin} is not an http(s) URL; e.g. ${example}`)
    origins.set(service.name, origin.replace(/\/$/, ''))
  }
  // As every gateway: only public functions; an internal one is for the services alone.
  const routed = manifest.functions.filter(isPublic)
  const routes = new Map(routed.map(fn => [fn.route, origins.get(fn.service)!]))
  const idempotent = new Set(routed.filter(fn => fn.policies?.idempotent !== false).map(fn => fn.route))
  // Version skew: a previous version whose FEMTO_URL_<SERVICE>__<contract> is set gets the calls carrying its contract.
  const previous = new Map<string, Map<string, string>>()
  for (const fn of routed) {
    for (const version of fn.previous ?? []) {
      const origin = env[serviceUrlVariable(version.service, version.contract)]
      if (origin && /^https?:$/.test(URL.parse(origin)?.protocol ?? ''))
        previous.set(fn.route, (previous.get(fn.route) ?? new Map()).set(version.contract, origin.replace(/\/$/, '')))
    }
  }

  const port = Number(env.PORT || 8080)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new GatewayConfigError(`femto gateway: PORT=${env.PORT} is not a port number`)

  // An explicitly empty FEMTO_STATIC_DIR, or no folder at the default place: functions only.
  const staticSetting = env.FEMTO_STATIC_DIR ?? './client'
  let staticDir: string | undefined
  if (staticSetting !== '') {
    staticDir = resolve(cwd, staticSetting)
    if (!statSync(staticDir, { throwIfNoEntry: false })?.isDirectory()) {
      if (env.FEMTO_STATIC_DIR !== undefined)
        throw new GatewayConfigError(`femto gateway: FEMTO_STATIC_DIR=${env.FEMTO_STATIC_DIR} is not a folder; set it to the client build, or to '' to serve no files`)
      staticDir = undefined
    }
  }
  const docsDir = dirname(manifestPath)
  return {
    gateway: { staticDir, basePath: manifest.basePath, routes, previous, idempotent, token: env.FEMTO_TOKEN || undefined, docsDir: existsSync(resolve(docsDir, 'docs')) ? docsDir : undefined },
    port,
    host: env.HOST || '0.0.0.0',
  }
}
