import type { Manifest } from '../build/manifest'
import type { Ingress } from './k8s'
import type { DeployedService } from './model'
import { isPublic } from '../registry/exposure'
import { GATEWAY_ID, GATEWAY_PORT } from './model'

/**
 * The routes anyone may reach through a gateway or the Ingress: those of public functions. A
 * `femto.json` written before exposure existed has none recorded: every function stays public.
 */
export function publicRoutes(manifest: Pick<Manifest, 'functions'>): Set<string> {
  return new Set(manifest.functions.filter(isPublic).map(fn => fn.route))
}

/** The services with only their public routes, for what routes calls from outside (Ingress, gateway). */
export function withPublicRoutes(services: DeployedService[], manifest: Pick<Manifest, 'functions'>): DeployedService[] {
  const open = publicRoutes(manifest)
  return services.map(service => ({ ...service, routes: service.routes.filter(route => open.has(route)) }))
}

/**
 * The Ingress with every path sent to the gateway: the services require FEMTO_TOKEN, which only
 * the gateway adds to a call from outside (the Ingress cannot), and the gateway routes only public
 * functions. The public paths stay listed, one per function, as the public surface.
 */
export function throughGateway(ingress: Ingress): Ingress {
  return throughService(ingress, GATEWAY_ID, GATEWAY_PORT)
}

/** The Ingress with every path sent to one Service: the gateway's, or the app's that takes its place (deploy.app). */
export function throughService(ingress: Ingress, name: string, port: number): Ingress {
  const gateway = { service: { name, port: { number: port } } }
  return {
    ...ingress,
    spec: { ...ingress.spec, rules: ingress.spec.rules.map(rule => ({ ...rule, http: { paths: rule.http.paths.map(path => ({ ...path, backend: gateway })) } })) },
  }
}
