import type { StubMeta } from '../../runtime/shared/protocol'
import type { ResolvedOptions } from './options'
import type { Plan } from './plan'
import type { RegisteredFunction } from './registry'
import { serviceUrlVariable } from '../../runtime/shared/service-env'
import { sharedServiceOf } from './plan'
import { stubPolicyOf } from './policy'

/**
 * The facts a stub passes to the runtime's helper, as the JSON text the transforms embed: where
 * the function is served, its contract, and the caller's half of its policy.
 */
export function createStubMeta(options: ResolvedOptions) {
  /** What a stub needs for retries, deadlines and the breaker: the caller's half of the policy, and the service it goes to. */
  function callerFacts(fn: RegisteredFunction): Pick<StubMeta, 'policy' | 'service'> {
    const policy = stubPolicyOf(options.policyOf(fn.name, fn.policy))
    const service = sharedServiceOf(fn.name, options)
    return { ...(policy ? { policy } : {}), ...(service ? { service } : {}) }
  }

  /** A browser stub: it calls the route on the page's own origin. */
  function forClient(fn: RegisteredFunction): string {
    return JSON.stringify({ name: fn.name, route: fn.route, contract: fn.contract, ...(fn.stream ? { stream: true } : {}), ...callerFacts(fn) })
  }

  // One plan serves hundreds of bundles that each stub the same functions: compute each stub's facts once.
  const cache = new WeakMap<Plan | object, Map<string, string>>()
  const noPlan = {}
  /** A service's stub of another function: it finds the service that hosts it by the plan's port and env var. */
  function forServer(fn: RegisteredFunction, plan: Plan | undefined): string {
    const key = plan ?? noPlan
    let metas = cache.get(key)
    if (!metas)
      cache.set(key, metas = new Map())
    let meta = metas.get(fn.name)
    if (meta === undefined) {
      const unit = plan?.serviceOf.get(fn.name)
      meta = JSON.stringify({
        name: fn.name,
        route: fn.route,
        port: unit?.port ?? options.basePort,
        env: serviceUrlVariable(unit?.name ?? fn.name),
        contract: fn.contract,
        ...(fn.stream ? { stream: true } : {}),
        ...callerFacts(fn),
      })
      metas.set(fn.name, meta)
    }
    return meta
  }

  return { forClient, forServer }
}
