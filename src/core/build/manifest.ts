import type { ServiceChanges } from '../deploy/changes'
import type { ResolvedDeployOptions } from '../deploy/options'
import type { ExposureReason, FunctionExposure } from '../registry/exposure'
import type { ResolvedOptions } from '../registry/options'
import type { Plan } from '../registry/plan'
import type { JsonPolicy } from '../registry/policy'
import type { CallGraph } from './call-graph'
import type { EnvUse } from './env-scan'
import { jsonPolicy } from '../registry/policy'

export const MANIFEST_FILE = 'femto.json'

export interface ManifestFunction {
  name: string
  route: string
  /** The service that hosts it (its own name in split mode). */
  service: string
  port: number
  /** Source file, relative to the project root. */
  source: string
  /** How the module exports it (`default`), or null when it is not exported. */
  export: string | null
  params: string[]
  /** Hash of the signature the stubs send; see STALE_CLIENT. */
  contract: string
  /** An `async function*`, answered as a stream. */
  stream: boolean
  /**
   * The resolved policy (plugin `defaults`, the function's policy directive, then
   * `functions.<name>`). `timeoutMs`, `concurrency` and `breakerFailures` are null where there
   * is no limit (JSON has no Infinity).
   */
  policies: JsonPolicy
  /**
   * The environment variables its service's code reads (found statically; for a group, those of
   * the whole group): a deploy can give each service only its own secrets. `dynamic`: some read
   * uses a computed name, so the list may be incomplete.
   */
  reads: EnvUse
  /** Content hash of the service that serves it (its bundle, run-time files and shipped packages). */
  hash: string
  /** Its run-time files (`files` option), paths from the project root and from the servers folder. */
  files: string[]
  /**
   * `public`: the gateways and the Ingress route it. `internal`: they do not, and its service
   * answers only calls from other femto services ([Security](../guide/security.md#exposure)).
   * Absent in a `femto.json` written before exposure existed: public.
   */
  exposure?: 'public' | 'internal'
  /** Why: the `exposure` policy, whether the app's code imports it, or a build without a client. */
  exposureReason?: ExposureReason
  /** The services whose bundles call it (a stub of it survived their tree-shaking). */
  callers?: string[]
  /**
   * Previous contracts still served, for pages loaded before the build that changed it: a call
   * carrying one of them in `x-femto-contract` goes to that version ([Version skew](../guide/version-skew.md)).
   */
  previous?: PreviousVersion[]
}

/** A previous version of a function, served until the skew window after the build that replaced it ends. */
export interface PreviousVersion {
  contract: string
  /** The service that served it, and that service's hash then. */
  service: string
  hash: string
  /** Its bundle in the servers folder: `previous/<service>@<hash>.js`. */
  file: string
  /** ISO time: a build after it drops this version. */
  until: string
}

export interface ManifestService {
  name: string
  file: string
  port: number
  /** `FEMTO_URL_<NAME>`: where other services look for it. */
  env: string
  functions: string[]
  bytes: number
  /**
   * SHA-256 (first 16 hex digits) of the bundle, then of each run-time file's path and content,
   * then of the shipped packages' files: what the service's image is tagged with, so a deploy rolls only the services whose hash moved.
   */
  hash: string
  /** The environment variables the bundle reads; see ManifestFunction.reads. */
  reads: EnvUse
  /** Run-time files of its functions, copied next to the bundle. */
  files: string[]
  /**
   * Packages its bundle imports instead of holding them: native addons, and those the `external`
   * option names ([Native dependencies](../guide/native-dependencies.md)).
   */
  native: string[]
  /**
   * The files those packages need at run time (their dependencies' too), paths from the servers
   * folder (`node_modules/…`): the service is its bundle and these.
   */
  shipped: string[]
  /** The services its bundle calls: the edges a NetworkPolicy allows (absent in an older `femto.json`). */
  calls?: string[]
}

export interface Manifest {
  version: 1
  basePath: string
  mode: 'split' | 'monolith'
  services: ManifestService[]
  functions: ManifestFunction[]
  router: BuiltBundle
  /** Services added, changed, removed since the previous build in the same output folder. */
  changes?: ServiceChanges
  /** The `deploy` option of the build, when set: `femto deploy` starts from it. */
  deploy?: ResolvedDeployOptions
}

export interface BuiltBundle {
  file: string
  bytes: number
  hash: string
  /** What its code reads from the environment (the runtime's own variables aside). */
  reads: EnvUse
  /** Packages it imports from the shipped `node_modules/`, and their files there (native-ship.ts). */
  native?: string[]
  shipped?: string[]
  /** The femto functions it holds a stub of (call-graph.ts). */
  stubs?: string[]
}

/** Who may call what, computed by the build (registry/exposure.ts, call-graph.ts). */
export interface Access {
  exposure: ReadonlyMap<string, FunctionExposure>
  graph: CallGraph
}

export function createManifest(plan: Plan, options: ResolvedOptions, bundles: Map<string, BuiltBundle>, router: BuiltBundle, envOf: (service: string) => string, files: { byService: Map<string, { path: string }[]>, byFunction: Map<string, string[]> } = { byService: new Map(), byFunction: new Map() }, access?: Access): Manifest {
  return {
    version: 1,
    basePath: options.basePath,
    mode: options.mode,
    services: plan.services.map((unit) => {
      const built = bundles.get(unit.name)!
      return {
        name: unit.name,
        file: unit.file,
        port: unit.port,
        env: envOf(unit.name),
        functions: unit.functions.map(f => f.name),
        bytes: built.bytes,
        hash: built.hash,
        reads: built.reads,
        files: (files.byService.get(unit.name) ?? []).map(f => f.path),
        native: built.native ?? [],
        shipped: built.shipped ?? [],
        calls: access?.graph.calls.get(unit.name) ?? [],
      }
    }),
    functions: plan.functions.map((fn) => {
      const unit = plan.serviceOf.get(fn.name)!
      return {
        name: fn.name,
        route: fn.route,
        service: unit.name,
        port: unit.port,
        source: fn.file,
        export: fn.exportNames[0] ?? null,
        params: fn.params.map(p => p.name),
        contract: fn.contract,
        stream: fn.stream,
        policies: jsonPolicy(options.policyOf(fn.name, fn.policy)),
        reads: bundles.get(unit.name)!.reads,
        hash: bundles.get(unit.name)!.hash,
        files: files.byFunction.get(fn.name) ?? [],
        exposure: access?.exposure.get(fn.name)?.exposure ?? 'public',
        exposureReason: access?.exposure.get(fn.name)?.reason ?? 'no-client-build',
        callers: access?.graph.callers.get(fn.name) ?? [],
      }
    }),
    // Its stubs are none: it hosts every function.
    router: { ...router, stubs: undefined },
    ...(options.deploy ? { deploy: options.deploy } : {}),
  }
}
