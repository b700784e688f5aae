import type { Manifest, ManifestFunction, ManifestService } from '../build/manifest'
import { serviceUrlVariable } from '../../runtime/shared/service-env'

// Version skew in a deploy: each previous version a build keeps (femto.json `functions[].previous`)
// becomes a service of its own (a Compose service, a Kubernetes Deployment and Service), named
// `<service>-<hash>`, running the kept bundle. Its origin is `FEMTO_URL_<SERVICE>__<contract>`,
// which the gateway reads to route calls carrying that contract (up/gateway-config.ts).

/** The previous versions still in their window, as services of their own, with the current build's. */
export interface SkewServices {
  /** The manifest with the previous versions added as services (their functions under their own names). */
  manifest: Manifest
  /**
   * Names of the previous versions' services (`quote@3f0c9d2e11aa4b07`) → every
   * `FEMTO_URL_<SERVICE>__<contract>` that names it (a group's version serves several contracts).
   */
  previous: Map<string, string[]>
}

export function withPreviousVersions(manifest: Manifest, now = Date.now()): SkewServices {
  const services = new Map<string, ManifestService>()
  const functions: ManifestFunction[] = []
  const envs = new Map<string, string[]>()
  for (const fn of manifest.functions) {
    for (const version of fn.previous ?? []) {
      if (Date.parse(version.until) <= now)
        continue
      const name = `${version.service}@${version.hash}`
      const current = manifest.services.find(s => s.name === version.service)
      if (!services.has(name)) {
        services.set(name, {
          // What the current service needs beside its bundle (files, packages, secrets) is what the previous one gets.
          ...(current ?? { port: fn.port, bytes: 0, reads: { names: [], dynamic: false }, files: [], native: [], shipped: [], calls: [] }),
          name,
          file: version.file,
          hash: version.hash,
          env: serviceUrlVariable(version.service, version.contract),
          functions: [],
        })
      }
      services.get(name)!.functions.push(fn.name)
      envs.set(name, [...new Set([...envs.get(name) ?? [], serviceUrlVariable(version.service, version.contract)])])
      functions.push({ ...fn, service: name, contract: version.contract, previous: undefined })
    }
  }
  return {
    manifest: { ...manifest, services: [...manifest.services, ...services.values()], functions: [...manifest.functions, ...functions] },
    previous: envs,
  }
}
