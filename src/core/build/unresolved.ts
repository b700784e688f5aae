import { builtinModules } from 'node:module'
import { relative } from 'node:path'

const BUILTINS = new Set(builtinModules)

/** Node's own modules, with or without `node:`: the only imports a service may keep. */
export function isNodeBuiltin(id: string): boolean {
  return id.startsWith('node:') || BUILTINS.has(id) || BUILTINS.has(id.slice(0, id.indexOf('/') >>> 0))
}

/**
 * Tree-shaking rule for Node's own modules: importing one does nothing a service relies on, so an
 * import whose bindings were all shaken away goes too (a kept `import "node:module"` made every
 * service load Node's source-map support at start-up).
 */
export const BUILTINS_HAVE_NO_SIDE_EFFECTS = [{ test: new RegExp(`^(?:node:|(?:${builtinModules.join('|')})(?:/|$))`), external: true, sideEffects: false }]

/** An id left external on purpose (`express` for router.js, a native addon): the package or a file of it. */
export function isDeclaredExternal(id: string, external: readonly string[]): boolean {
  return external.some(name => id === name || id.startsWith(`${name}/`))
}

/** Who the error names: the service's functions and the module that still imports the id. */
export interface UnresolvedImport {
  /** Whose bundle imports it: a service's functions, or router.js. */
  who: string
  /** The import as written. */
  id: string
  /** The file that imports it, absolute; undefined when no module of the project could be named. */
  importer: string | undefined
  root: string
}

/**
 * A build error, not a warning: a service that imports what its build could not bundle fails
 * when it loads (ERR_MODULE_NOT_FOUND, ERR_UNSUPPORTED_ESM_URL_SCHEME), on the server, after a
 * green build.
 */
export function unresolvedImportError(found: UnresolvedImport): Error {
  const file = found.importer ? relative(found.root, found.importer).replace(/\\/g, '/') : 'a module of its graph'
  // `virtual:x`, `\0x`: some plugin's id; `pkg` or `@scope/pkg`: a package.
  const hint = /^[\w@][^:]*$/.test(found.id)
    ? 'no installed package has that name (install it)'
    : 'no plugin of this build resolves it (is the plugin that provides it in the config?)'
  return new Error(`[unplugin-femto] ${found.who}: ${file} imports '${found.id}', which the services' build could not resolve, so its service could not start: ${hint}`)
}

/** A service as an error names it: by the functions it serves. */
export function functionsLabel(functions: readonly string[]): string {
  return functions.length === 1 ? `femto function '${functions[0]}'` : `femto functions ${functions.map(f => `'${f}'`).join(', ')}`
}
