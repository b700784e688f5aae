import type { FieldKind } from '../../runtime/server/types'
import type { ResolvedOptions } from '../registry/options'
import type { ServiceUnit } from '../registry/plan'
import type { RegisteredFunction } from '../registry/registry'
import { jsonPolicy, shutdownBoundMs } from '../registry/policy'
import { isPlainJsonResult } from '../schema/json-answer'
import { importNameOf } from '../transform/transform'
import { formFieldsOf } from './form-fields'

/** What the build derived from types, for the generated entries. */
export interface EntryFacts {
  /** Generated argument checks per function name (JS source of a function expression). */
  validators: Map<string, string>
  /** The OpenAPI document these functions are described by. */
  openapi: Record<string, unknown>
  /** Absolute path of the module with the global auth hook (`auth` option). */
  authModule?: string
  /** Functions no client code imports (registry/exposure.ts): a service refuses calls to them from outside. */
  internal?: ReadonlySet<string>
}

/** Source of the generated module that starts one service. */
export function serviceEntry(unit: ServiceUnit, options: ResolvedOptions, facts: EntryFacts): string {
  const { imports, table } = functionTable(unit.functions, options, facts)
  return `import { startService } from 'unplugin-femto/runtime/server'
${imports}
startService({ service: ${JSON.stringify(unit.name)}, port: ${unit.port}, shutdownTimeoutMs: ${shutdownBoundMs(unit.functions.map(fn => options.policyOf(fn.name, fn.policy).timeoutMs))}, allowedOrigins: ${JSON.stringify(options.allowedOrigins)}, openapi: ${JSON.stringify(JSON.stringify(facts.openapi))}, functions: ${table} })
`
}

/** Source of `router.js`: every function behind one Express router. */
export function routerEntry(functions: RegisteredFunction[], options: ResolvedOptions, facts: EntryFacts): string {
  const { imports, table } = functionTable(functions, options, facts)
  const docs = options.docs ? `, docsDir: new URL('./docs/', import.meta.url)` : ''
  // `functions` and `basePath` too: unplugin-femto/handler's in-process mode serves them (Request/Response, not Express's routes).
  return `import { createRouter } from 'unplugin-femto/runtime/router'
${imports}
export const basePath = ${JSON.stringify(options.basePath)}
export const functions = ${table}
export default createRouter({ basePath, allowedOrigins: ${JSON.stringify(options.allowedOrigins)}, openapi: ${JSON.stringify(facts.openapi)}${docs}, functions })
`
}

/** Source of the dev server's module (run by Vite's module runner): every function, in-process. */
export function devEntry(functions: RegisteredFunction[], options: ResolvedOptions, facts: EntryFacts): string {
  // No contract check: the page and the functions come from the same sources at the same moment,
  // and a type edited in another module changes a contract without re-transforming the page's stub.
  const { imports, table } = functionTable(functions, options, facts, false)
  return `import { createDevHandler } from 'unplugin-femto/runtime/dev'
${imports}
export default createDevHandler({ basePath: ${JSON.stringify(options.basePath)}, allowedOrigins: ${JSON.stringify(options.allowedOrigins)}, functions: ${table} })
`
}

/**
 * The rows of the table of served functions, the same in all three entries: the runtime adapter
 * each entry calls (service, router, dev) builds its lookup from them (runtime/server/function-table.ts).
 */
function functionTable(functions: RegisteredFunction[], options: ResolvedOptions, facts: EntryFacts, contracts = true): { imports: string, table: string } {
  const needsGlobalAuth = facts.authModule !== undefined && functions.some(fn => !fn.authHook)
  const imports = [
    ...functions.map((fn, i) => `import { ${importNameOf(fn)} as f${i}${fn.standardSchema ? `, __femto$schema$${fn.name} as s${i}` : ''}${fn.authHook ? `, __femto$auth$${fn.name} as a${i}` : ''} } from ${JSON.stringify(fn.id)}`),
    ...(needsGlobalAuth ? [`import femtoAuth from ${JSON.stringify(facts.authModule)}`] : []),
  ].join('\n')
  const rows = functions.map((fn, i) => {
    const policy = jsonPolicy(options.policyOf(fn.name, fn.policy))
    const spec = {
      name: fn.name,
      route: fn.route,
      params: fn.params,
      bodyLimit: policy.bodyLimit,
      // JSON has no Infinity: null means "no limit".
      timeoutMs: policy.timeoutMs,
      concurrency: policy.concurrency,
      contract: contracts ? fn.contract : '',
      stream: fn.stream,
      ...(facts.internal?.has(fn.name) ? { internal: true } : {}),
      ...(plainResultOf(facts.openapi, fn.route) ? { plainResult: true } : {}),
      ...formSpecOf(facts.openapi, fn, policy),
    }
    // A declared Standard Schema replaces the checks derived from the types.
    const validate = fn.standardSchema ? `, standard: s${i}` : facts.validators.has(fn.name) ? `, validate: ${facts.validators.get(fn.name)}` : ''
    const auth = fn.authHook ? `, auth: a${i}` : needsGlobalAuth ? ', auth: femtoAuth' : ''
    return `  { ...${JSON.stringify(spec)}${validate}${auth}, fn: f${i} }`
  })
  return { imports, table: `[\n${rows.join(',\n')}\n]` }
}

/** How form fields become its arguments (form-fields.ts), and its per-file limit: only where they differ from the defaults. */
function formSpecOf(openapi: Record<string, any> | undefined, fn: RegisteredFunction, policy: { fileLimit?: number | null }): { fields?: FieldKind[], fileLimit?: number } {
  const fields = formFieldsOf(openapi, fn.route, fn.params)
  return {
    ...(fields && fields.some(kind => kind !== 'json') ? { fields } : {}),
    ...(typeof policy.fileLimit === 'number' ? { fileLimit: policy.fileLimit } : {}),
  }
}

/** Whether the documented result of the function at `route` lets its service skip walking each answer (schema/json-answer.ts). */
function plainResultOf(openapi: Record<string, any> | undefined, route: string): boolean {
  const content = openapi?.paths?.[route]?.post?.responses?.['200']?.content
  const schema = content?.['application/json']?.schema ?? content?.['application/x-ndjson']?.schema
  if (schema === undefined)
    return false
  const prefix = '#/components/schemas/'
  return isPlainJsonResult(schema, ref => (ref.startsWith(prefix) ? openapi?.components?.schemas?.[ref.slice(prefix.length)] : undefined))
}
