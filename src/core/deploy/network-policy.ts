import type { Manifest } from '../build/manifest'
import type { DeployedService } from './model'
import { isPublic } from '../registry/exposure'
import { GATEWAY_ID, GATEWAY_PORT } from './model'

export interface PolicyPeer {
  podSelector?: { matchLabels: Record<string, string> }
  namespaceSelector?: { matchLabels: Record<string, string> }
}
export interface PolicyPort { port: number, protocol: 'TCP' | 'UDP' }
export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1'
  kind: 'NetworkPolicy'
  metadata: { name: string, labels: Record<string, string> }
  spec: {
    podSelector: { matchLabels: Record<string, string> }
    policyTypes: ['Ingress', 'Egress']
    ingress?: { from: PolicyPeer[], ports: PolicyPort[] }[]
    egress?: { to: PolicyPeer[], ports: PolicyPort[] }[]
  }
}

const PART_OF = { 'app.kubernetes.io/part-of': 'femto' }
const pods = (id: string): PolicyPeer => ({ podSelector: { matchLabels: { 'app.kubernetes.io/name': id } } })
const tcp = (port: number): PolicyPort => ({ port, protocol: 'TCP' })

/**
 * Where calls from outside come in: the Ingress controller's namespace. ingress-nginx's by
 * default; another controller's is patched in with kustomize (docs/guide/security.md#networkpolicy).
 */
export const INGRESS_CONTROLLER: PolicyPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }
/** The cluster's DNS (CoreDNS and kube-dns both carry `k8s-app: kube-dns`), so that services can resolve each other. */
export const CLUSTER_DNS: PolicyPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }
const DNS_EGRESS = { to: [CLUSTER_DNS], ports: [{ port: 53, protocol: 'UDP' as const }, tcp(53)] }
export const DEFAULT_DENY = 'femto-default-deny'

/** What the Ingress sends calls to: the gateway, or the framework's server in its place (deploy.app). */
export interface Front { id: string, port: number }
const GATEWAY: Front = { id: GATEWAY_ID, port: GATEWAY_PORT }

/** One edge a policy allows: `from` may open a connection to `to` on `port`. */
export interface Edge { from: string, to: string, port: number }

/**
 * Who may reach whom, by Kubernetes name: each service from the services whose bundles call it
 * (`calls` in femto.json) and, when it hosts a public function, from the gateway (or the app in its
 * place, deploy.app); that one from the Ingress controller. Sorted, so that the policies written from it are the same on every build.
 */
export function allowedEdges(manifest: Pick<Manifest, 'services' | 'functions'>, services: DeployedService[], front: Front = GATEWAY): Edge[] {
  const edges: Edge[] = []
  // Version skew: a service's previous versions (`quote@<hash>`, deploy/previous.ts) are reached by
  // its callers' previous versions (FEMTO_URL_<SERVICE>__<contract>) and by the service itself,
  // which forwards a call built against their contract (runtime/server/skew-forward.ts).
  const versionsOf = (name: string): DeployedService[] => services.filter(s => s.name === name || s.name.startsWith(`${name}@`))
  for (const service of services) {
    const manifested = manifest.services.find(s => s.name === service.name)
    for (const callee of manifested?.calls ?? []) {
      for (const target of versionsOf(callee))
        edges.push({ from: service.id, to: target.id, port: target.port })
    }
    for (const older of service.name.includes('@') ? [] : versionsOf(service.name).filter(s => s !== service))
      edges.push({ from: service.id, to: older.id, port: older.port })
    // Calls from outside come through the gateway, which adds the token (the Ingress sends it every path).
    if (hostsPublic(manifest, service.name))
      edges.push({ from: front.id, to: service.id, port: service.port })
  }
  edges.push({ from: 'ingress-controller', to: front.id, port: front.port })
  return edges.sort((a, b) => `${a.to}\0${a.from}`.localeCompare(`${b.to}\0${b.from}`))
}

/** A service hosting at least one public function (a manifest without exposure: all are). */
function hostsPublic(manifest: Pick<Manifest, 'functions'>, service: string): boolean {
  return manifest.functions.some(fn => fn.service === service && isPublic(fn))
}

const peerOf = (from: string): PolicyPeer => (from === 'ingress-controller' ? INGRESS_CONTROLLER : pods(from))

function policy(id: string, edges: Edge[]): NetworkPolicy {
  const ingress = edges.filter(e => e.to === id)
  const egress = edges.filter(e => e.from === id)
  const byPort = <K extends 'from' | 'to'>(list: Edge[], peer: K): Map<number, string[]> => {
    const ports = new Map<number, string[]>()
    for (const edge of list)
      ports.set(edge.port, [...(ports.get(edge.port) ?? []), edge[peer]])
    return ports
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: id, labels: PART_OF },
    spec: {
      podSelector: pods(id).podSelector!,
      policyTypes: ['Ingress', 'Egress'],
      ingress: Array.from(byPort(ingress, 'from'), ([port, from]) => ({ from: from.map(peerOf), ports: [tcp(port)] })),
      egress: [DNS_EGRESS, ...Array.from(byPort(egress, 'to'), ([port, to]) => ({ to: to.map(pods), ports: [tcp(port)] }))],
    },
  }
}

/**
 * The NetworkPolicies of a deploy: nothing reaches or leaves a femto pod of the namespace (the
 * default deny), except each allowed edge, DNS, and the gateway's own port from the Ingress
 * controller. Policies add up, so a service that calls outside the cluster (a database, a
 * payment API) gets another policy of the user's for that egress.
 */
export function networkPolicies(manifest: Pick<Manifest, 'services' | 'functions'>, services: DeployedService[], front: Front = GATEWAY): NetworkPolicy[] {
  const edges = allowedEdges(manifest, services, front)
  const deny: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: DEFAULT_DENY, labels: PART_OF },
    spec: { podSelector: { matchLabels: PART_OF }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] },
  }
  return [deny, policy(front.id, edges), ...services.map(s => policy(s.id, edges))]
}
