import type { Plan } from '../registry/plan'

// A service-side stub's facts, as the transform embeds them (registry/stub-meta.ts `forServer`):
// `{ "name": …, "route": …, "port": …, "env": "FEMTO_URL_…", … }`. Keys may lose their quotes
// in a bundler's output, so both forms are read. Only stubs that survived tree-shaking are in a
// bundle, so these are the calls the service can make.
const STUB = /["']?name["']?\s*:\s*["']([\w$]+)["']\s*,\s*["']?route["']?\s*:\s*["'][^"']*["']\s*,\s*["']?port["']?\s*:\s*\d+\s*,\s*["']?env["']?\s*:\s*["']FEMTO_URL_\w+["']/g

/** The femto functions a service's bundle holds a stub of: the functions it calls over HTTP. */
export function stubbedFunctions(bundle: string): string[] {
  return [...new Set(Array.from(bundle.matchAll(STUB), match => match[1]!))].sort()
}

export interface CallGraph {
  /** Per service: the services it calls (sorted). */
  calls: Map<string, string[]>
  /** Per function: the services that call it (sorted). */
  callers: Map<string, string[]>
}

/**
 * Who calls whom, from what each service's bundle stubs. A function its own service hosts is
 * called in-process, so it is no edge; neither is a name the plan does not know.
 */
export function callGraph(plan: Plan, stubs: ReadonlyMap<string, string[]>): CallGraph {
  const calls = new Map<string, string[]>()
  const callers = new Map<string, Set<string>>(plan.functions.map(fn => [fn.name, new Set()]))
  for (const unit of plan.services) {
    const callees = new Set<string>()
    for (const name of stubs.get(unit.name) ?? []) {
      const host = plan.serviceOf.get(name)
      if (!host || host === unit)
        continue
      callees.add(host.name)
      callers.get(name)!.add(unit.name)
    }
    calls.set(unit.name, [...callees].sort())
  }
  return { calls, callers: new Map(Array.from(callers, ([name, set]) => [name, [...set].sort()])) }
}
