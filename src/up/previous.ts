import type { Manifest, ManifestService, PreviousVersion } from '../core/build/manifest'
import { isPublic } from '../core/registry/exposure'
import { serviceUrlVariable } from '../runtime/shared/service-env'

// Version skew under `femto up`: the previous versions a build keeps serving (femto.json
// `functions[].previous`, bundles in `servers/previous/`) run beside the current services, and
// the gateway sends a call carrying a previous contract to its version.

/** One previous service bundle to run, and the public routes and contracts it answers for. */
export interface PreviousService {
  /** `<service>@<hash>`: its name in the logs. */
  name: string
  file: string
  /** Route → the contract this version serves for it. */
  serves: Map<string, string>
  /** `FEMTO_URL_<SERVICE>__<contract>` of each contract it serves: where service stubs built against it call. */
  envs: string[]
}

const nameOf = (version: PreviousVersion): string => `${version.service}@${version.hash.slice(0, 8)}`

/** The previous versions whose window has not ended, one process per bundle. */
export function previousServices(manifest: Manifest, now = Date.now()): PreviousService[] {
  const byFile = new Map<string, PreviousService>()
  for (const fn of manifest.functions) {
    for (const version of fn.previous ?? []) {
      if (Date.parse(version.until) <= now)
        continue
      let service = byFile.get(version.file)
      if (!service)
        byFile.set(version.file, service = { name: nameOf(version), file: version.file, serves: new Map(), envs: [] })
      // The gateway routes public functions only; every one is reachable from other services.
      if (isPublic(fn))
        service.serves.set(fn.route, version.contract)
      service.envs.push(serviceUrlVariable(version.service, version.contract))
    }
  }
  return [...byFile.values()]
}

/** What `spawnServices` needs of a service, for a previous bundle (its port: any free one). */
export function asSpawned(service: PreviousService): ManifestService {
  return { name: service.name, file: service.file } as ManifestService
}

/** Sets (origin) or clears (undefined) the routes of a previous version in the gateway's table. */
export function routePrevious(table: Map<string, Map<string, string>>, service: PreviousService, origin: string | undefined): void {
  for (const [route, contract] of service.serves) {
    const contracts = table.get(route) ?? new Map<string, string>()
    table.set(route, contracts)
    if (origin)
      contracts.set(contract, origin)
    else
      contracts.delete(contract)
  }
}

/** The env that sends service stubs built against a previous contract to its version. */
export function previousPeers(services: PreviousService[], origins: string[]): Record<string, string> {
  return Object.fromEntries(services.flatMap((service, i) => service.envs.map(name => [name, origins[i]!])))
}
