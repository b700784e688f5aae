import type { RegisteredFunction, ServiceUnit } from './context'
import type { ResolvedOptions } from './options'
import { importNameOf } from './transform'

/** Source of the generated module that starts one service. */
export function serviceEntry(unit: ServiceUnit, options: ResolvedOptions): string {
  const { imports, table } = functionTable(unit.functions, options)
  return `import { startService } from 'unplugin-femto/runtime/server'
${imports}
startService({ service: ${JSON.stringify(unit.name)}, port: ${unit.port}, functions: ${table} })
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

function functionTable(functions: RegisteredFunction[], options: ResolvedOptions): { imports: string, table: string } {
  const imports = functions
    .map((fn, i) => `import { ${importNameOf(fn)} as f${i} } from ${JSON.stringify(fn.id)}`)
    .join('\n')
  const rows = functions.map((fn, i) => {
    const spec = {
      name: fn.name,
      route: fn.route,
      params: fn.params,
      bodyLimit: options.policyOf(fn.name).bodyLimit,
      // JSON has no Infinity: null means "no limit".
      timeoutMs: finiteOrNull(options.policyOf(fn.name).timeoutMs),
      concurrency: finiteOrNull(options.policyOf(fn.name).concurrency),
      contract: fn.contract,
      stream: fn.stream,
    }
    return `  { ...${JSON.stringify(spec)}, fn: f${i} }`
  })
  return { imports, table: `[\n${rows.join(',\n')}\n]` }
}
