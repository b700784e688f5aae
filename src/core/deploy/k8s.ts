import type { DeployedService } from './model'
import type { NetworkPolicy } from './network-policy'
import type { ResolvedDeployOptions } from './options'
import type { Secret } from './secrets'
import { GATEWAY_ID, GATEWAY_PORT, URLS_CONFIG_MAP } from './model'

// The parts of the Kubernetes API objects the generated manifests use (tests validate every
// emitted object against the API schemas with kubernetes-models).

export interface ObjectMeta { name: string, labels?: Record<string, string>, annotations?: Record<string, string> }
export interface EnvVar { name: string, value?: string, valueFrom?: { secretKeyRef: { name: string, key: string, optional: boolean } } }
export type EnvFromSource = { configMapRef: { name: string } } | { secretRef: { name: string, optional: boolean } }
export interface HttpProbe { httpGet: { path: string, port: string }, initialDelaySeconds?: number, periodSeconds: number, timeoutSeconds: number, failureThreshold: number }
export interface Container {
  name: string
  image: string
  ports: { name: string, containerPort: number }[]
  env?: EnvVar[]
  envFrom?: EnvFromSource[]
  resources: { requests: { cpu: string, memory: string }, limits: { memory: string } }
  livenessProbe: HttpProbe
  readinessProbe: HttpProbe
  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: boolean, runAsNonRoot: true, capabilities: { drop: ['ALL'] } }
}
export interface RollingUpdate { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: number, maxSurge: number } }
export interface Deployment {
  apiVersion: 'apps/v1'
  kind: 'Deployment'
  metadata: ObjectMeta
  spec: {
    selector: { matchLabels: Record<string, string> }
    strategy: RollingUpdate
    template: { metadata: { labels: Record<string, string>, annotations?: Record<string, string> }, spec: { terminationGracePeriodSeconds: number, securityContext: { runAsNonRoot: true, runAsUser: number }, containers: Container[] } }
  }
}
export interface Service {
  apiVersion: 'v1'
  kind: 'Service'
  metadata: ObjectMeta
  spec: { selector: Record<string, string>, ports: { name: string, port: number, targetPort: string }[] }
}
export interface HorizontalPodAutoscaler {
  apiVersion: 'autoscaling/v2'
  kind: 'HorizontalPodAutoscaler'
  metadata: ObjectMeta
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: string }
    minReplicas: number
    maxReplicas: number
    metrics: { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: number } } }[]
  }
}
export interface ConfigMap { apiVersion: 'v1', kind: 'ConfigMap', metadata: ObjectMeta, data: Record<string, string> }
export interface IngressPath { path: string, pathType: 'Exact' | 'Prefix', backend: { service: { name: string, port: { number: number } } } }
export interface Ingress {
  apiVersion: 'networking.k8s.io/v1'
  kind: 'Ingress'
  metadata: ObjectMeta
  spec: { ingressClassName?: string, rules: { host?: string, http: { paths: IngressPath[] } }[] }
}
export interface Kustomization {
  apiVersion: 'kustomize.config.k8s.io/v1beta1'
  kind: 'Kustomization'
  namespace?: string
  labels: { pairs: Record<string, string>, includeSelectors: false }[]
  resources: string[]
}
export type K8sObject = Deployment | Service | HorizontalPodAutoscaler | ConfigMap | Ingress | NetworkPolicy | Secret

const PART_OF = { 'app.kubernetes.io/part-of': 'femto' }
const selectorOf = (id: string): Record<string, string> => ({ 'app.kubernetes.io/name': id })
/** Kubernetes names of a service's per-service Secret. */
export const secretName = (service: DeployedService): string => `${service.id}-secrets`

/**
 * How long Kubernetes waits after SIGTERM before it kills a pod: the drain delay (the pod keeps
 * accepting while Services stop sending it traffic), the service's own shutdown bound (longest
 * `timeoutMs` + 1 s), and a second to flush logs and spans.
 */
export function gracePeriodSeconds(service: DeployedService, options: ResolvedDeployOptions): number {
  return Math.ceil((options.drainDelayMs + service.shutdownMs + 1_000) / 1_000)
}

const probe = (path: string, failureThreshold: number, periodSeconds = 10): HttpProbe => ({ httpGet: { path, port: 'http' }, periodSeconds, timeoutSeconds: 2, failureThreshold })
/**
 * Ready when `/readyz` answers 200, looked at every 2 s so that a new pod takes traffic soon after
 * it listens, and a roll is not paced by the probe. Two misses in a row take it out, so one slow
 * answer on a busy node does not (a stopping pod leaves the endpoints when it is deleted anyway).
 */
const readiness = (path: string): HttpProbe => probe(path, 2, 2)

/**
 * A roll starts a new pod first and stops an old one only once the new one is ready, so the
 * Service always has a ready pod, even at one replica. The old pod then drains (FEMTO_DRAIN_DELAY_MS:
 * it keeps accepting while its address leaves the Service's endpoints, then finishes its calls).
 */
const ROLLING: RollingUpdate = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }

/** A service's Deployment, Service and HorizontalPodAutoscaler. */
export function serviceObjects(service: DeployedService, options: ResolvedDeployOptions): [Deployment, Service, HorizontalPodAutoscaler] {
  const labels = { ...selectorOf(service.id), ...PART_OF, 'femto.dev/hash': service.hash }
  const env: EnvVar[] = [
    { name: 'PORT', value: String(service.port) },
    { name: 'HOST', value: '0.0.0.0' },
    { name: 'FEMTO_DRAIN_DELAY_MS', value: String(options.drainDelayMs) },
    ...service.secrets.map(name => ({ name, valueFrom: { secretKeyRef: { name: secretName(service), key: name, optional: true } } })),
  ]
  const envFrom: EnvFromSource[] = [
    { configMapRef: { name: URLS_CONFIG_MAP } },
    ...(service.dynamicSecrets ? [{ secretRef: { name: secretName(service), optional: true } }] : []),
  ]
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service.id, labels, annotations: { 'femto.dev/service': service.name } },
    spec: {
      selector: { matchLabels: selectorOf(service.id) },
      strategy: ROLLING,
      template: {
        metadata: { labels },
        spec: {
          terminationGracePeriodSeconds: gracePeriodSeconds(service, options),
          // The `node` user of the official Node images.
          securityContext: { runAsNonRoot: true, runAsUser: 1000 },
          containers: [{
            name: service.id,
            image: service.image,
            ports: [{ name: 'http', containerPort: service.port }],
            env,
            envFrom,
            resources: { requests: { cpu: `${service.scaling.cpu}m`, memory: `${service.scaling.memoryMb}Mi` }, limits: { memory: `${service.scaling.memoryMb}Mi` } },
            livenessProbe: probe('/healthz', 3),
            readinessProbe: readiness('/readyz'),
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  }
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service.id, labels: { ...selectorOf(service.id), ...PART_OF } },
    spec: { selector: selectorOf(service.id), ports: [{ name: 'http', port: service.port, targetPort: 'http' }] },
  }
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: service.id, labels: { ...selectorOf(service.id), ...PART_OF } },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: service.id },
      minReplicas: service.scaling.minReplicas,
      maxReplicas: service.scaling.maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: service.scaling.cpuTarget } } }],
    },
  }
  return [deployment, svc, hpa]
}

/** `FEMTO_URL_<NAME>` of every service, by its Service's cluster DNS name: stable, so not hashed into pods. */
export function urlsConfigMap(services: DeployedService[], skewEnvs: Map<string, string[]> = new Map()): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: URLS_CONFIG_MAP, labels: PART_OF },
    // A previous version (version skew) is named by each `FEMTO_URL_<SERVICE>__<contract>` it serves.
    data: Object.fromEntries(services.flatMap(s => (skewEnvs.get(s.id) ?? [s.env]).map(env => [env, `http://${s.id}:${s.port}`]))),
  }
}

/**
 * The gateway (the `femto up` gateway on the Node base image, with the client build) as a
 * Deployment and Service, the Ingress's default route. It reads the services' addresses from the
 * same ConfigMap as they do, so a call that reaches it for a function is proxied too.
 */
export function gatewayObjects(image: string): [Deployment, Service] {
  const labels = { ...selectorOf(GATEWAY_ID), ...PART_OF }
  return [{
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: GATEWAY_ID, labels },
    spec: {
      selector: { matchLabels: selectorOf(GATEWAY_ID) },
      strategy: ROLLING,
      template: {
        metadata: { labels },
        spec: {
          // The gateway lets calls under way finish for up to 10 s after SIGTERM.
          terminationGracePeriodSeconds: 11,
          // The `node` user of the official Node images, as for the services.
          securityContext: { runAsNonRoot: true, runAsUser: 1000 },
          containers: [{
            name: GATEWAY_ID,
            image,
            ports: [{ name: 'http', containerPort: GATEWAY_PORT }],
            // Calls reach the services straight from the Ingress: no token to add here.
            env: [{ name: 'FEMTO_TOKEN', value: '' }],
            envFrom: [{ configMapRef: { name: URLS_CONFIG_MAP } }],
            resources: { requests: { cpu: '50m', memory: '48Mi' }, limits: { memory: '128Mi' } },
            livenessProbe: probe('/healthz', 3),
            readinessProbe: readiness('/healthz'),
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  }, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: GATEWAY_ID, labels },
    spec: { selector: selectorOf(GATEWAY_ID), ports: [{ name: 'http', port: GATEWAY_PORT, targetPort: 'http' }] },
  }]
}

/** `{basePath}/{name}` of every function to its service's Service, everything else to the gateway. */
export function ingress(services: DeployedService[], options: ResolvedDeployOptions): Ingress {
  const paths: IngressPath[] = [
    ...services.flatMap(s => s.routes.map(route => ({ path: route, pathType: 'Exact' as const, backend: { service: { name: s.id, port: { number: s.port } } } }))),
    { path: '/', pathType: 'Prefix', backend: { service: { name: GATEWAY_ID, port: { number: GATEWAY_PORT } } } },
  ]
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'femto', labels: PART_OF },
    spec: {
      ...(options.ingressClass ? { ingressClassName: options.ingressClass } : {}),
      rules: [{ ...(options.host ? { host: options.host } : {}), http: { paths } }],
    },
  }
}

export function kustomization(resources: string[], options: ResolvedDeployOptions): Kustomization {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...(options.namespace ? { namespace: options.namespace } : {}),
    labels: [{ pairs: { 'app.kubernetes.io/managed-by': 'unplugin-femto' }, includeSelectors: false }],
    resources,
  }
}
