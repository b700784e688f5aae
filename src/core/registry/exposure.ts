import type { ResolvedOptions } from './options'
import type { RegisteredFunction } from './registry'

/** Who may call a function: anyone who reaches the gateway, or only other femto services. */
export type Exposure = 'public' | 'internal'

/**
 * Why a function has its exposure, as `femto.json` and the build table say it:
 * `policy` the `exposure` policy key; `imported` / `not-imported` whether the app's own code
 * (client bundle, server-side rendering) imports its module; `no-client-build` a build of the
 * services alone (the testing helper), where nothing tells, so it stays public.
 */
export type ExposureReason = 'policy' | 'imported' | 'not-imported' | 'no-client-build'

export interface FunctionExposure {
  exposure: Exposure
  reason: ExposureReason
}

export type ClientImports = ReturnType<typeof createClientImports>

/**
 * The femto functions the app's own code reaches, by module, recorded as the client transform
 * (and the app's server-side rendering, and Web Workers) meets them. By module: tree-shaking is
 * the bundler's, so a function is public when the app imports the module that declares it.
 * Kept across rebuilds (watch mode does not transform an unchanged module again): a module
 * transformed again replaces its own entry, and one that left a build's graph is forgotten when
 * that build ends (`keepOnly`).
 */
export function createClientImports() {
  // By module: its functions, and the build that imports it (a Vite environment's name, or `worker`).
  const modules = new Map<string, { names: string[], scope: string }>()
  let built = false
  return {
    /** A client build starts: from now on, a function no client module imports is internal. */
    begin(): void {
      built = true
    },
    record(id: string, names: string[], scope = 'client'): void {
      modules.set(id, { names, scope })
    },
    /** A build of `scope` ended with these modules: the others it had recorded are no longer imported. */
    keepOnly(scope: string, ids: ReadonlySet<string>): void {
      for (const [id, entry] of modules) {
        if (entry.scope === scope && !ids.has(id))
          modules.delete(id)
      }
    },
    /** The functions imported so far; undefined when no client build ran in this process. */
    names(): ReadonlySet<string> | undefined {
      if (!built)
        return undefined
      return new Set([...modules.values()].flatMap(entry => entry.names))
    },
  }
}

/** Each function's exposure: the policy key when set, else whether the app imports it. */
export function exposureOf(functions: RegisteredFunction[], options: Pick<ResolvedOptions, 'policyOf'>, imported: ReadonlySet<string> | undefined): Map<string, FunctionExposure> {
  const result = new Map<string, FunctionExposure>()
  for (const fn of functions) {
    const policy = options.policyOf(fn.name, fn.policy).exposure
    if (policy !== 'auto')
      result.set(fn.name, { exposure: policy, reason: 'policy' })
    else if (imported === undefined)
      result.set(fn.name, { exposure: 'public', reason: 'no-client-build' })
    else
      result.set(fn.name, imported.has(fn.name) ? { exposure: 'public', reason: 'imported' } : { exposure: 'internal', reason: 'not-imported' })
  }
  return result
}

/** Routed by gateways and the Ingress: a function of a `femto.json` written before exposure existed is too. */
export const isPublic = (fn: { exposure?: Exposure }): boolean => fn.exposure !== 'internal'

/** The names of the internal functions: what a service's entry marks so that it refuses calls from outside. */
export function internalNames(exposure: ReadonlyMap<string, FunctionExposure>): Set<string> {
  return new Set([...exposure].filter(([, e]) => e.exposure === 'internal').map(([name]) => name))
}
