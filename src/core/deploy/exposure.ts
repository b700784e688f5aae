import type { Manifest } from '../build/manifest'
import type { DeployedService } from './model'

/**
 * The routes anyone may reach through a gateway or the Ingress: those of public functions. A
 * `femto.json` written before exposure existed has none recorded: every function stays public.
 */
export function publicRoutes(manifest: Pick<Manifest, 'functions'>): Set<string> {
  return new Set(manifest.functions.filter(fn => fn.exposure !== 'internal').map(fn => fn.route))
}

/** The services with only their public routes, for what routes calls from outside (Ingress, gateway). */
export function withPublicRoutes(services: DeployedService[], manifest: Pick<Manifest, 'functions'>): DeployedService[] {
  const open = publicRoutes(manifest)
  return services.map(service => ({ ...service, routes: service.routes.filter(route => open.has(route)) }))
}
