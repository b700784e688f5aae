import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { ConfigMap, Service as CoreService, Secret } from 'kubernetes-models/v1'
import { parseAllDocuments } from 'yaml'

/** Every validator of the kinds femto deploy writes: each throws on an object the API would refuse. */
const MODELS: Record<string, new (data: any) => { validate: () => void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': CoreService,
  'v1/ConfigMap': ConfigMap,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'v1/Secret': Secret,
}

/** The objects of a build's `deploy/k8s/` (kustomization.yaml aside), as plain objects. */
export function k8sObjects(dist: string): any[] {
  const dir = join(dist, 'deploy/k8s')
  return readdirSync(dir).filter(f => f !== 'kustomization.yaml').flatMap(file => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map(doc => doc.toJS()))
}

/** Throws what kubernetes-models says of an object, or that no model of its kind exists. */
export function validateK8sObject(object: any): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`]
  if (!Model)
    throw new Error(`no model of ${object.apiVersion} ${object.kind}`)
  new Model(object).validate()
}
