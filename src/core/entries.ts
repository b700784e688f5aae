import type { RegisteredFunction, ServiceUnit } from './context'
import type { ResolvedOptions } from './options'
import { importNameOf } from './transform'

/** Source of the generated module that starts one service. */
export function serviceEntry(unit: ServiceUnit, options: ResolvedOptions): string {
  const { imports, table } = functionTable(unit.functions, options)
  return `import { startService } from 'unplugin-femto/runtime/server'
${imports}
startService({ service: ${JSON.stringify(unit.name)}, port: ${unit.port}, shutdownTimeoutMs: ${shutdownTimeoutOf(unit.functions, options)}, functions: ${table} })
`
}

/** Source of `router.js`: every function behind one Express router. */
export function routerEntry(functions: RegisteredFunction[], options: ResolvedOptions): string {
  const { imports, table } = functionTable(functions, options)
  return `import { createRouter } from 'unplugin-femto/runtime/router'
${imports}
export default createRouter({ basePath: ${JSON.stringify(options.basePath)}, functions: ${table} })
`
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null)

/**
 * How long SIGTERM waits for in-flight calls: the longest timeout of the service's functions
 * (past it they have been answered 504 anyway), plus a second to write the answers.
 */
export function shutdownTimeoutOf(functions: RegisteredFunction[], options: ResolvedOptions): number {
  const longest = Math.max(...functions.map(fn => options.policyOf(fn.name, fn.policy).timeoutMs))
  return Number.isFinite(longest) ? longest + 1_000 : 30_000
}

function functionTable(functions: RegisteredFunction[], options: ResolvedOptions): { imports: string, table: string } {
  const imports = functions
    .map((fn, i) => `import { ${importNameOf(fn)} as f${i} } from ${JSON.stringify(fn.id)}`)
    .join('\n')
  const rows = functions.map((fn, i) => {
    const policy = options.policyOf(fn.name, fn.policy)
    const spec = {
      name: fn.name,
      route: fn.route,
      params: fn.params,
      bodyLimit: policy.bodyLimit,
      // JSON has no Infinity: null means "no limit".
      timeoutMs: finiteOrNull(policy.timeoutMs),
      concurrency: finiteOrNull(policy.concurrency),
      contract: fn.contract,
      stream: fn.stream,
    }
    return `  { ...${JSON.stringify(spec)}, fn: f${i} }`
  })
  return { imports, table: `[\n${rows.join(',\n')}\n]` }
}
