import type { ComposeFile } from './compose'
import type { Deployment, EnvVar } from './k8s'
import { createHash } from 'node:crypto'
import { TOKEN_FILE_FROM_DEPLOY } from './token-file'

/** The Secret holding FEMTO_TOKEN, written once from `femto.env` (token-file.ts). */
export const TOKEN_SECRET = 'femto-token'
export const TOKEN_KEY = 'FEMTO_TOKEN'

export interface Secret {
  apiVersion: 'v1'
  kind: 'Secret'
  metadata: { name: string, labels: Record<string, string> }
  type: 'Opaque'
  stringData: Record<string, string>
}

/** The token's Secret, from the deploy's env file: the same value on every deploy. */
export function tokenSecret(token: string, name = TOKEN_SECRET): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': 'femto' } },
    type: 'Opaque',
    stringData: { [TOKEN_KEY]: token },
  }
}

/** FEMTO_TOKEN from the Secret: not optional, so a pod without it never starts open. */
export function tokenEnv(secret = TOKEN_SECRET): EnvVar & { valueFrom: { secretKeyRef: { optional: false } } } {
  return { name: TOKEN_KEY, valueFrom: { secretKeyRef: { name: secret, key: TOKEN_KEY, optional: false } } }
}

/** The pod annotation that carries a digest of the token (never the token). */
export const TOKEN_DIGEST_ANNOTATION = 'femto.dev/token-sha256'

/** A short digest of the token: in every pod template, so that a new token rolls every Deployment together. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16)
}

/**
 * Every Deployment of the list (services and gateway) reads FEMTO_TOKEN from the Secret, in
 * place of any FEMTO_TOKEN it had (the gateway's was an empty value). With `digest` (the token
 * femto deploy put in the Secret), each pod template carries it: environment variables from a
 * Secret are read only when a pod starts, so without it a changed token would reach only the
 * Deployments that roll for another reason, and they and the rest would refuse each other's calls.
 */
export function withTokenFromSecret<T extends { kind: string }>(objects: T[], secret = TOKEN_SECRET, digest?: string): T[] {
  for (const object of objects) {
    if (object.kind !== 'Deployment')
      continue
    const template = (object as unknown as Deployment).spec.template
    for (const container of template.spec.containers)
      container.env = [...(container.env ?? []).filter(e => e.name !== TOKEN_KEY), tokenEnv(secret)]
    if (digest !== undefined)
      template.metadata = { ...template.metadata, annotations: { ...template.metadata.annotations, [TOKEN_DIGEST_ANNOTATION]: digest } }
  }
  return objects
}

/** A Compose service as written with the env file. */
export type ComposeWithEnvFile = ComposeFile & { services: Record<string, ComposeFile['services'][string] & { env_file?: string[] }> }

/**
 * Every container of the Compose file reads FEMTO_TOKEN from `femto.env` (an `environment`
 * entry would win over the file, so theirs is removed): no token needs exporting where
 * `docker-compose` runs, and the file holds nothing else, so no service gets another's secrets.
 */
export function withTokenFile(compose: ComposeFile, path = TOKEN_FILE_FROM_DEPLOY): ComposeWithEnvFile {
  const services: ComposeWithEnvFile['services'] = {}
  for (const [name, service] of Object.entries(compose.services)) {
    const { [TOKEN_KEY]: _, ...environment } = service.environment
    services[name] = { ...service, env_file: [path], environment }
  }
  return { ...compose, services }
}
