import { isIP } from 'node:net'
/** The `deploy` option: what `<outDir>/deploy/` is written with (docs/guide/deploying.md). */
export interface DeployOptions {
  /**
   * Registry and path that image names start with: `'ghcr.io/acme/shop'` names the `add`
   * service's image `ghcr.io/acme/shop/femto-add:<hash>`. Empty: local names (`femto-add:<hash>`).
   * @default ''
   */
  registry?: string
  /**
   * Base image of every service image and of the gateway's (it needs `node` ≥ 20.19 and a
   * non-root user `node`, uid 1000).
   * @default 'node:20-alpine'
   */
  baseImage?: string
  /**
   * Kubernetes namespace set by `kustomization.yaml`. Empty: the namespace of `kubectl`.
   * @default ''
   */
  namespace?: string
  /**
   * Host name the Ingress answers for. Empty: every host.
   * @default ''
   */
  host?: string
  /**
   * `ingressClassName` of the Ingress. Empty: the cluster's default class.
   * @default ''
   */
  ingressClass?: string
  /**
   * Kubernetes only: `FEMTO_DRAIN_DELAY_MS` of every pod, the time a terminating pod keeps
   * accepting connections (`/readyz` answering 503) while Services stop sending it traffic.
   * @default 5000
   */
  drainDelayMs?: number
  /**
   * Port of the host that the Compose gateway is published on; `0`: one the engine picks
   * (`docker-compose port femto-gateway 8080` tells which).
   * @default 8080
   */
  gatewayPort?: number
  /**
   * Address of the host that the Compose gateway is published on, e.g. `'127.0.0.1'` to keep it
   * off the network. Empty: every address of the host.
   * @default ''
   */
  gatewayHost?: string
  /**
   * Kubernetes only: the name of a Secret of yours that holds `FEMTO_TOKEN` (under that key),
   * e.g. one your secrets manager syncs. Every service and the gateway read the token from it.
   * Empty: `femto deploy` writes the Secret `femto-token` (`k8s/femto-token.yaml`) from
   * `<outDir>/femto.env`, which it creates once with a random token
   * ([a token by default](../guide/security.md#a-token-by-default)).
   * @default ''
   */
  tokenSecret?: string
  /**
   * A framework's server (SvelteKit's adapter-node, React Router, Astro) in the gateway's place,
   * e.g. `app: { command: 'node build/index.js', files: ['build'], port: 3000 }`:
   * Compose and Kubernetes run it with every `FEMTO_URL_*`, `FEMTO_TOKEN` and `PORT` set, publish
   * it (Compose: on `gatewayHost`:`gatewayPort`; Kubernetes: the Ingress's `/`), and write no
   * gateway. Its hook answers `{basePath}/*` with `unplugin-femto/handler`
   * ([frameworks](../guide/frameworks.md#deploying)). `command`: what runs it, from its image's
   * `/app`, no shell (`'node build/index.js'`); `files`: what the image holds, paths from the
   * project root copied to the same paths (the server's output must run without `node_modules`,
   * or list them); `port`: where it listens (default 3000); `healthPath`: a path it answers 2xx
   * (default `/`); `image`: an image of your own instead of `command`/`files` (it must hold
   * the build's `femto.json`: `dist/servers/femto.json` from its working directory, or at its
   * `FEMTO_MANIFEST`). The files exist after the framework's build only, so with
   * `app` the build writes no `deploy/`: run `femto deploy <outDir>` after it.
   * @default undefined
   */
  app?: DeployApp
}

/** `deploy.app`: the framework's server that takes the gateway's place. */
export interface DeployApp {
  command?: string | string[]
  files?: string[]
  port?: number
  healthPath?: string
  image?: string
}

export interface ResolvedDeployApp {
  /** Empty with `image`. */
  command: string[]
  files: string[]
  port: number
  healthPath: string
  /** Empty: built from `command` and `files`. */
  image: string
}

export type ResolvedDeployOptions = Required<Omit<DeployOptions, 'app'>> & { app?: ResolvedDeployApp }

export const DEPLOY_DEFAULTS: Required<Omit<DeployOptions, 'app'>> = {
  registry: '',
  baseImage: 'node:20-alpine',
  namespace: '',
  host: '',
  ingressClass: '',
  drainDelayMs: 5_000,
  gatewayPort: 8080,
  gatewayHost: '',
  tokenSecret: '',
}

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/
const DNS_NAME = /^(?:\*\.)?[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*$/

/** What every `femto.json` written before the gateway became a Node service records, unless the user set another. */
const RETIRED_GATEWAY_IMAGE = 'nginxinc/nginx-unprivileged:1.27-alpine'

/**
 * `gatewayImage` named the nginx image of the gateway, which is a Node service now, on
 * `baseImage`. Older manifests record its default, which is dropped; any other value was the
 * user's choice of an nginx image that can no longer run the gateway, so it is refused.
 */
function withoutRetiredGatewayImage(given: DeployOptions & { gatewayImage?: unknown }, label: (key: string) => string): DeployOptions {
  const { gatewayImage, ...rest } = given
  if (gatewayImage !== undefined && gatewayImage !== RETIRED_GATEWAY_IMAGE)
    throw new Error(`${label('gatewayImage')}: the gateway is a Node service now, built on baseImage (docs/guide/deploying.md#the-gateway); remove gatewayImage`)
  return rest
}

/**
 * `true` is every default; `false`/`undefined` is no deploy files. Bad values name the key as
 * the user wrote it: `deploy.<key>` in the plugin options, `--<key>` on the command line.
 */
export function resolveDeployOptions(deploy: boolean | DeployOptions | undefined, label: (key: string) => string = key => `[unplugin-femto] deploy.${key}`): ResolvedDeployOptions | undefined {
  if (!deploy)
    return undefined
  const given = withoutRetiredGatewayImage(deploy === true ? {} : deploy, label)
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(DEPLOY_DEFAULTS, key) && key !== 'app')
      throw new Error(`${label(key)}: unknown deploy option; they are ${[...Object.keys(DEPLOY_DEFAULTS), 'app'].join(', ')}`)
  }
  const { app, ...rest } = given
  const resolved: ResolvedDeployOptions = { ...DEPLOY_DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) }
  if (app !== undefined)
    resolved.app = resolveApp(app, label)
  const bad = (key: keyof DeployOptions, what: string): never => {
    throw new Error(`${label(key)}: '${resolved[key]}' is not ${what}`)
  }
  if (resolved.registry !== '' && !/^[a-z\d][a-z\d._\-:/]*[^/]$/.test(resolved.registry))
    bad('registry', 'an image name prefix in lowercase, as Docker wants, e.g. \'ghcr.io/acme/shop\'')
  if (!/^[\w.\-:/@]+$/.test(resolved.baseImage))
    bad('baseImage', 'an image name, e.g. \'node:20-alpine\'')
  if (resolved.namespace !== '' && !DNS_LABEL.test(resolved.namespace))
    bad('namespace', 'a Kubernetes namespace (lowercase letters, digits and -)')
  if (resolved.host !== '' && !DNS_NAME.test(resolved.host))
    bad('host', 'a host name, e.g. \'shop.example.com\'')
  if (resolved.ingressClass !== '' && !DNS_LABEL.test(resolved.ingressClass))
    bad('ingressClass', 'an IngressClass name')
  if (!Number.isInteger(resolved.drainDelayMs) || resolved.drainDelayMs < 0)
    bad('drainDelayMs', 'a whole number of milliseconds')
  if (!Number.isInteger(resolved.gatewayPort) || resolved.gatewayPort < 0 || resolved.gatewayPort > 65535)
    bad('gatewayPort', 'a port number (0: one the engine picks)')
  if (resolved.gatewayHost !== '' && isIP(resolved.gatewayHost.replace(/^\[(.*)\]$/, '$1')) === 0)
    bad('gatewayHost', 'an IP address of the host, e.g. \'127.0.0.1\'')
  if (resolved.tokenSecret !== '' && !/^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/.test(resolved.tokenSecret))
    bad('tokenSecret', 'a Kubernetes Secret name (lowercase letters, digits, - and .)')
  return resolved
}

/** `deploy.app`, checked: an image of the user's, or a command and the files that run it. */
function resolveApp(app: DeployApp, label: (key: string) => string): ResolvedDeployApp {
  const bad = (key: string, what: string): never => {
    throw new Error(`${label(`app.${key}`)}: ${what}`)
  }
  if (typeof app !== 'object' || app === null)
    bad('', 'takes { command, files, port } or { image, port }')
  for (const key of Object.keys(app)) {
    if (!['command', 'files', 'port', 'healthPath', 'image'].includes(key))
      bad(key, 'unknown key; they are command, files, port, healthPath, image')
  }
  const command = typeof app.command === 'string' ? app.command.trim().split(/\s+/).filter(Boolean) : app.command ?? []
  const image = app.image ?? ''
  const resolved: ResolvedDeployApp = { command, files: app.files ?? [], port: app.port ?? 3000, healthPath: app.healthPath ?? '/', image }
  if (image !== '' && !/^[\w.\-:/@]+$/.test(image))
    bad('image', `'${image}' is not an image name`)
  // A resolved app (femto.json's, read again by `femto deploy`) has them empty.
  if (image !== '' && (command.length > 0 || resolved.files.length > 0))
    bad('image', 'an image of your own takes neither command nor files (they build the generated one)')
  if (image === '' && (!Array.isArray(command) || command.length === 0 || command.some(part => typeof part !== 'string' || part === '')))
    bad('command', 'needs the command that starts the server, e.g. \'node build/index.js\' (or an image of your own)')
  if (image === '' && (!Array.isArray(resolved.files) || resolved.files.length === 0 || resolved.files.some(f => typeof f !== 'string' || f === '' || f.startsWith('/') || f.split(/[\\/]/).includes('..'))))
    bad('files', 'needs the paths, from the project root and inside it, that the server runs from, e.g. [\'build\']')
  if (!Number.isInteger(resolved.port) || resolved.port < 1 || resolved.port > 65535)
    bad('port', `'${resolved.port}' is not a port number`)
  if (!/^\/[\w\-./~%?=&]*$/.test(resolved.healthPath))
    bad('healthPath', `'${resolved.healthPath}' is not a path, e.g. '/'`)
  return resolved
}
