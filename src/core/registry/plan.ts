import type { ResolvedOptions } from './options'
import type { RegisteredFunction } from './registry'
import { assertInternal } from '../transform/errors'
import { assignPorts } from './ports'

export interface ServiceUnit {
  /** Service name: the function's in split mode, `monolith` in monolith mode. */
  name: string
  /** File name under the servers folder. */
  file: string
  port: number
  functions: RegisteredFunction[]
}

/** Which service hosts each function, on which port. */
export interface Plan {
  services: ServiceUnit[]
  functions: RegisteredFunction[]
  serviceOf: Map<string, ServiceUnit>
}

type PlanOptions = Pick<ResolvedOptions, 'mode' | 'groups' | 'basePort'>

/**
 * The service that hosts a function when that is not its own: its group, or the monolith.
 * From the options alone, so a stub knows it before the build has found every function.
 */
export function sharedServiceOf(name: string, options: Pick<PlanOptions, 'mode' | 'groups'>): string | undefined {
  if (options.mode === 'monolith')
    return 'monolith'
  return Object.entries(options.groups).find(([, members]) => members.includes(name))?.[0]
}

/** Plans the services of every registered function; throws where `groups` names what the project does not have. */
export function planServices(registered: ReadonlyMap<string, RegisteredFunction>, options: PlanOptions): Plan {
  const functions = [...registered.values()].sort((a, b) => byName(a.name, b.name))
  if (options.mode === 'monolith')
    return indexed([{ name: 'monolith', file: 'monolith.js', port: options.basePort, functions }], functions)
  checkGroups(registered, functions, options.groups)
  const members = new Map<string, RegisteredFunction[]>()
  for (const fn of functions) {
    const service = sharedServiceOf(fn.name, options) ?? fn.name
    const list = members.get(service)
    if (list)
      list.push(fn)
    else
      members.set(service, [fn])
  }
  const ports = assignPorts([...members.keys()], options.basePort)
  const services = Array.from(members, ([name, hosted]): ServiceUnit => {
    const port = ports.get(name)
    assertInternal(port !== undefined, `service '${name}' has a port`)
    return { name, file: `${name}.js`, port, functions: hosted }
  })
  return indexed(services.sort((a, b) => byName(a.name, b.name)), functions)
}

function indexed(services: ServiceUnit[], functions: RegisteredFunction[]): Plan {
  const serviceOf = new Map<string, ServiceUnit>()
  for (const unit of services) {
    for (const fn of unit.functions)
      serviceOf.set(fn.name, unit)
  }
  return { services, functions, serviceOf }
}

function checkGroups(registered: ReadonlyMap<string, RegisteredFunction>, functions: RegisteredFunction[], groups: Record<string, string[]>): void {
  for (const [group, members] of Object.entries(groups)) {
    const unknown = members.filter(name => !registered.has(name))
    if (unknown.length > 0)
      throw new Error(`[unplugin-femto] groups.${group}: no femto function is named ${unknown.map(n => `'${n}'`).join(', ')} (known: ${functions.map(f => f.name).join(', ')})`)
    const clash = registered.get(group)
    if (clash && !members.includes(group))
      throw new Error(`[unplugin-femto] groups.${group}: the group would share its name (and file, port, FEMTO_URL_ variable) with the function '${group}' at ${clash.file}; rename the group`)
  }
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
