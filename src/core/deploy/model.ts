import type { Manifest, ManifestService } from '../build/manifest'
import type { ResolvedDeployOptions } from './options'
import { shutdownBoundMs } from '../registry/policy'

/** What every deploy document needs to know about one service, derived from `femto.json` alone. */
export interface DeployedService {
  /** The name in `femto.json` (`checkStock`). */
  name: string
  /** Its name in Compose, Kubernetes and image names: DNS-safe (`check-stock`). */
  id: string
  /** `femto-check-stock:<hash>`, after `registry/` when one is set. */
  image: string
  file: string
  port: number
  /** `FEMTO_URL_CHECK_STOCK`. */
  env: string
  hash: string
  files: string[]
  /**
   * The folders of shipped packages its image copies, from the servers folder
   * (`node_modules/better-sqlite3`): each holds only the files traced for it.
   */
  packages: string[]
  routes: string[]
  /** Variables its code reads (not the runtime's own): its secrets. */
  secrets: string[]
  /** Some read uses a computed name: the whole per-service Secret goes into its environment. */
  dynamicSecrets: boolean
  /** How long SIGTERM may take: the longest `timeoutMs` of its functions plus a second (30 s when one has none). */
  shutdownMs: number
  scaling: { minReplicas: number, maxReplicas: number, cpuTarget: number, cpu: number, memoryMb: number }
}

export const GATEWAY_ID = 'femto-gateway'
/** The framework's server of `deploy.app`, in the gateway's place. */
export const APP_ID = 'femto-app'
export const URLS_CONFIG_MAP = 'femto-urls'
/** The port the gateway listens on inside its container. */
export const GATEWAY_PORT = 8080

/** `checkStock` → `check-stock`: lowercase letters, digits and `-`, as Kubernetes names and DNS want. */
export function dnsName(name: string): string {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z\d]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '')
}

export function imageName(options: ResolvedDeployOptions, id: string, tag: string): string {
  return `${options.registry ? `${options.registry}/` : ''}femto-${id}:${tag}`
}

export function deployedServices(manifest: Manifest, options: ResolvedDeployOptions): DeployedService[] {
  const taken = new Map<string, string>([[GATEWAY_ID, 'the gateway'], [APP_ID, 'the app (deploy.app)'], [URLS_CONFIG_MAP, 'the ConfigMap of service URLs']])
  return manifest.services.map((service) => {
    const id = dnsName(service.name)
    if (id === '' || !/^[a-z]/.test(id))
      throw new Error(`femto deploy: service '${service.name}' has no usable Kubernetes name (it must start with a letter); rename it`)
    const other = taken.get(id)
    if (other)
      throw new Error(`femto deploy: services '${service.name}' and ${other} would both be named '${id}' in Compose and Kubernetes; rename one`)
    taken.set(id, `'${service.name}'`)
    return describe(manifest, service, id, options)
  })
}

function describe(manifest: Manifest, service: ManifestService, id: string, options: ResolvedDeployOptions): DeployedService {
  const functions = manifest.functions.filter(f => f.service === service.name)
  // A group's service scales as its most demanding function asks.
  const policies = functions.map(f => f.policies)
  const minReplicas = Math.max(...policies.map(p => p.minReplicas))
  return {
    name: service.name,
    id,
    image: imageName(options, id, service.hash),
    file: service.file,
    port: service.port,
    env: service.env,
    hash: service.hash,
    files: service.files,
    packages: packageFolders(service.shipped ?? []),
    routes: functions.map(f => f.route),
    secrets: service.reads.names,
    dynamicSecrets: service.reads.dynamic,
    shutdownMs: shutdownBoundMs(policies.map(p => p.timeoutMs ?? Infinity)),
    scaling: {
      minReplicas,
      maxReplicas: Math.max(minReplicas, ...policies.map(p => p.maxReplicas)),
      cpuTarget: Math.min(...policies.map(p => p.cpuTarget)),
      cpu: Math.max(...policies.map(p => p.cpu)),
      memoryMb: Math.max(...policies.map(p => p.memoryMb)),
    },
  }
}

/**
 * The one healthcheck command of images and Compose, the gateway's too: Node's own fetch, so any
 * base image with `node` works.
 */
export function healthcheckCommand(path = '/healthz'): string[] {
  return ['node', '-e', `fetch('http://127.0.0.1:'+process.env.PORT+'${path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`]
}

/**
 * The top folders of shipped files (`node_modules/bindings`, `node_modules/@scope/name`): one
 * COPY each, rather than one per file, keeps an image's layers few whatever a package holds.
 */
export function packageFolders(shipped: string[]): string[] {
  const folders = new Set<string>()
  for (const file of shipped) {
    const parts = file.split('/')
    folders.add(parts.slice(0, parts[1]?.startsWith('@') ? 3 : 2).join('/'))
  }
  return [...folders].sort()
}
