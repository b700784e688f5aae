import type { DeployedService } from './model'
import type { ResolvedDeployOptions } from './options'
import { GATEWAY_ID, GATEWAY_PORT, healthcheckCommand } from './model'

/** The part of the Compose file format that the generated file uses. */
export interface ComposeFile {
  services: Record<string, ComposeService>
}

export interface ComposeService {
  image: string
  /** Absent: an image of the user's (deploy.app.image), pulled, not built. */
  build?: { context: string, dockerfile: string }
  /** `null`: passed through from the environment of whoever runs `docker-compose` (or `.env`). */
  environment: Record<string, string | null>
  ports?: string[]
  depends_on?: Record<string, { condition: 'service_healthy' }>
  healthcheck: { test: string[], interval: string, timeout: string, retries: number, start_period: string }
  stop_grace_period?: string
  restart: 'unless-stopped'
}

export interface ComposeInput {
  services: DeployedService[]
  gatewayImage: string
  options: ResolvedDeployOptions
  /** Version skew: the id of each previous version's service → the `FEMTO_URL_<SERVICE>__<contract>` names it serves. */
  skewEnvs?: Map<string, string[]>
}

/** Compose fills it from the environment of whoever runs it; unset is empty (no token). */
const TOKEN = `\${FEMTO_TOKEN:-}`

const health = (test: string[]): ComposeService['healthcheck'] => ({ test, interval: '10s', timeout: '3s', retries: 3, start_period: '5s' })

/**
 * `[host:]hostPort:containerPort`; without a host port, the engine picks one. The container's
 * port is the gateway's, or the app's in its place (deploy.app).
 */
export function publishedPort({ gatewayHost, gatewayPort }: ResolvedDeployOptions, containerPort = GATEWAY_PORT): string {
  const hostPort = gatewayPort === 0 ? '' : String(gatewayPort)
  if (gatewayHost === '')
    return hostPort === '' ? String(containerPort) : `${hostPort}:${containerPort}`
  // An IPv6 address goes in brackets, or its colons would read as the port separators.
  const host = gatewayHost.includes(':') && !gatewayHost.startsWith('[') ? `[${gatewayHost}]` : gatewayHost
  return `${host}:${hostPort}:${containerPort}`
}

/** How long the gateway lets the calls it carries finish after SIGTERM (its own bound is 10 s). */
const GATEWAY_STOP_GRACE = '11s'

/**
 * Every service (built from its Dockerfile, tagged with its hash, so `docker-compose up -d --build`
 * recreates only the containers whose hash moved: nothing else in a service's entry depends on
 * another's code), each told where the others are
 * (`FEMTO_URL_*` by Compose service name), given only its own secrets, and a gateway published
 * on the host. The file sits in `<outDir>/deploy/`; the build context is the output folder.
 */
export function composeFile(input: ComposeInput): ComposeFile {
  const skewEnvs = input.skewEnvs ?? new Map<string, string[]>()
  const current = input.services.filter(s => !skewEnvs.has(s.id))
  const urls = Object.fromEntries(current.map(s => [s.env, `http://${s.id}:${s.port}`]))
  // Where previous versions run: for the gateway, the previous versions, and each service its own
  // (it forwards a call built against a previous contract there, runtime/server/skew-forward.ts),
  // so that a service's configuration (and container) changes only with its own versions.
  const skewUrls = Object.fromEntries(input.services.flatMap(s => (skewEnvs.get(s.id) ?? []).map(env => [env, `http://${s.id}:${s.port}`])))
  const ownSkewUrls = (env: string): Record<string, string> => Object.fromEntries(Object.entries(skewUrls).filter(([name]) => name.startsWith(`${env}__`) && !name.slice(env.length + 2).includes('_')))
  const services: Record<string, ComposeService> = {}
  for (const service of input.services) {
    services[service.id] = {
      image: service.image,
      build: { context: '..', dockerfile: `deploy/docker/${service.id}.Dockerfile` },
      environment: {
        ...urls,
        ...(skewEnvs.has(service.id) ? skewUrls : ownSkewUrls(service.env)),
        // Empty: no token. Set FEMTO_TOKEN where docker-compose runs to require it between services.
        FEMTO_TOKEN: TOKEN,
        ...Object.fromEntries(service.secrets.map(name => [name, null])),
      },
      healthcheck: health(['CMD', ...healthcheckCommand()]),
      stop_grace_period: `${Math.ceil((service.shutdownMs + 1_000) / 1_000)}s`,
      restart: 'unless-stopped',
    }
  }
  // The `femto up` gateway: it resolves a service's name on each new connection and retries a
  // call that could not connect (the service being replaced) within the call's deadline, so it
  // never needs restarting after a roll. Waiting for healthy services only spares the first calls.
  services[GATEWAY_ID] = {
    image: input.gatewayImage,
    build: { context: '..', dockerfile: 'deploy/gateway/Dockerfile' },
    environment: { ...urls, ...skewUrls, FEMTO_TOKEN: TOKEN },
    ports: [publishedPort(input.options)],
    depends_on: Object.fromEntries(input.services.map(s => [s.id, { condition: 'service_healthy' as const }])),
    healthcheck: health(['CMD', ...healthcheckCommand()]),
    stop_grace_period: GATEWAY_STOP_GRACE,
    restart: 'unless-stopped',
  }
  return { services }
}
