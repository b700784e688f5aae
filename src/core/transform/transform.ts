import type { SourceMap } from 'magic-string'
import type { FemtoFunction, ModuleAnalysis } from './analyze'
import MagicString from 'magic-string'
import { assertInternal } from './errors'

export interface TransformResult {
  code: string
  map: SourceMap | null
  /** With `flag` only: each import of the module and which services load what it imports. */
  imports?: ServiceImport[]
}

/**
 * An import in Vite's one build of every service. `when`: the flags of the functions whose
 * services load the imported module (where any is true), as the per-service transform keeps the
 * import exactly where one of them is hosted; undefined, every service that loads this module.
 * The flags fold the bodies away, but not the load of a module imported for its own code.
 */
export interface ServiceImport {
  /** As written. */
  source: string
  when: string[] | undefined
}

export interface StubSpec<F extends FemtoFunction = FemtoFunction> {
  /** Module the stub helper is imported from. */
  from: string
  /** Name of the helper export: `(meta, args) => result`. */
  helper: string
  /**
   * Static facts the stub passes to the helper (name, route, …), as a JSON object literal.
   * A string, so that callers transforming the same module many times can compute it once.
   */
  meta: (fn: F) => string
}

export interface TransformOptions<F extends FemtoFunction = FemtoFunction> {
  /** Functions whose bodies stay in this output; every other femto function becomes a stub. */
  hosted: (fn: F) => boolean
  stub: StubSpec<F>
  /**
   * Whether to make a source map. Services are bundled once per service from the same modules,
   * and a hires map of a large module on every one of those bundles is most of their cost.
   * @default true
   */
  sourcemap?: boolean
  /**
   * Whether the source map carries the module's original text (`sourcesContent`). Never for the
   * browser: that text is the functions' bodies and whatever server-only code sits beside them.
   * @default true
   */
  sourcesContent?: boolean
  /**
   * One module for many services (Vite's one build of every service): instead of choosing now,
   * each function becomes `<flag> ? <its body> : <its stub>`, and each service's own bundle
   * defines the flags (`hosted` is then unused). Tree-shaking drops the side not taken.
   */
  flag?: (fn: F) => string
}

const HELPER_LOCAL = '__femto_call'

/** How a generated service entry imports a hosted function from its module. */
export function importNameOf(fn: FemtoFunction): string {
  return fn.exportNames[0] ?? `__femto$${fn.name}`
}

/**
 * The one transform of a directive module, for every side of the build. Conceptually:
 *
 *   export async function add(a, b) { 'use femto'; return db.sum(a, b) }
 *
 * becomes, where `add` is not hosted (the browser, another service):
 *
 *   import { callFemto as __femto_call } from 'unplugin-femto/runtime'
 *   export function add(...args) { return __femto_call({"name":"add",…}, args) }
 *
 * and, where it is hosted (its own service), the same code minus the directive. Imports and
 * top-level declarations that only the stubbed bodies used are dropped, so server-only code
 * never reaches an output that does not host it. Returns `undefined` when nothing changes.
 */
export function transformModule<F extends FemtoFunction>(code: string, analysis: ModuleAnalysis<F>, options: TransformOptions<F>): TransformResult | undefined {
  if (analysis.functions.length === 0 && !analysis.fileLevel)
    return undefined
  const s = new MagicString(code)
  for (const directive of analysis.moduleDirectives)
    s.remove(directive.start, directive.end)
  if (options.flag)
    return withFlags(s, code, analysis, options as TransformOptions<F> & { flag: (fn: F) => string })

  const stubbed = new Set<string>()
  // Outermost first, so that a stub swallows whatever femto function it contained: ranges nest
  // or are disjoint, so "inside the last stub" is one comparison.
  const ordered = [...analysis.functions].sort((a, b) => a.range.start - b.range.start || b.range.end - a.range.end)
  let stubbedUntil = -1
  const appended: string[] = []
  for (const fn of ordered) {
    if (fn.range.start < stubbedUntil) {
      // Inside a stub: gone from here. Where it is hosted, its service still needs it exported.
      if (options.hosted(fn))
        appended.push(`export const __femto$${fn.name} = ${withoutDirective(code, fn)};`)
      else
        stubbed.add(`fn:${fn.name}`)
      continue
    }
    if (options.hosted(fn)) {
      for (const directive of fn.directives)
        s.remove(directive.start, directive.end)
      if (fn.standardSchema)
        appended.push(`export { ${fn.standardSchema} as __femto$schema$${fn.name} };`)
      if (fn.authHook)
        appended.push(`export { ${fn.authHook} as __femto$auth$${fn.name} };`)
      if (fn.nested)
        appended.push(`export const __femto$${fn.name} = ${withoutDirective(code, fn)};`)
      else if (fn.exportNames.length === 0)
        appended.push(`export { ${localBinding(fn)} as __femto$${fn.name} };`)
      continue
    }
    s.overwrite(fn.range.start, fn.range.end, stubText(fn, options.stub))
    stubbed.add(`fn:${fn.name}`)
    stubbedUntil = fn.range.end
  }

  const nothingHosted = stubbed.size === analysis.functions.length
  if (analysis.fileLevel && nothingHosted) {
    // A 'use femto' module is server code: where none of it is hosted, only its stubs remain.
    for (const stmt of analysis.topLevel) {
      if (!stmt.keepWhenStubbed)
        s.remove(stmt.range.start, stmt.range.end)
    }
  }
  else if (stubbed.size > 0) {
    removeUnusedDeclarations(s, analysis, stubbed)
  }

  if (stubbed.size > 0)
    s.appendLeft(analysis.importAt, `${analysis.importAt > 0 ? '\n' : ''}import { ${options.stub.helper} as ${HELPER_LOCAL} } from ${JSON.stringify(options.stub.from)};\n`)
  if (appended.length > 0)
    s.append(`\n${appended.join('\n')}\n`)
  if (!s.hasChanged())
    return undefined
  return {
    code: s.toString(),
    map: options.sourcemap === false ? null : s.generateMap({ hires: 'boundary', source: analysis.id, includeContent: options.sourcesContent !== false }),
  }
}

/**
 * Every function as both sides behind its flag. A declaration becomes a `const` (its stub and its
 * body are two functions, and only an expression can choose between them), so it loses hoisting:
 * only in a service bundle, and only for module code that calls it above its declaration.
 */
function withFlags<F extends FemtoFunction>(s: MagicString, code: string, analysis: ModuleAnalysis<F>, options: TransformOptions<F> & { flag: (fn: F) => string }): TransformResult {
  const appended: string[] = []
  for (const fn of analysis.functions) {
    for (const directive of fn.directives)
      s.remove(directive.start, directive.end)
    const flag = options.flag(fn)
    const stub = stubText(fn, options.stub)
    if (fn.declaration && fn.localName) {
      const exportDefault = /export\s+default\s+$/.exec(code.slice(Math.max(0, fn.range.start - 40), fn.range.start))
      if (exportDefault)
        s.remove(fn.range.start - exportDefault[0].length, fn.range.start)
      s.appendRight(fn.range.start, `const ${fn.localName} = ${flag} ? `)
      s.appendLeft(fn.range.end, ` : ${stub};${exportDefault ? `\nexport default ${fn.localName};` : ''}`)
    }
    else {
      s.appendRight(fn.range.start, `(${flag} ? (`)
      s.appendLeft(fn.range.end, `) : ${stub})`)
    }
    if (fn.standardSchema)
      appended.push(`export { ${fn.standardSchema} as __femto$schema$${fn.name} };`)
    if (fn.authHook)
      appended.push(`export { ${fn.authHook} as __femto$auth$${fn.name} };`)
    if (fn.nested)
      appended.push(`export const __femto$${fn.name} = ${flag} ? ${withoutDirective(code, fn)} : undefined;`)
    else if (fn.exportNames.length === 0)
      appended.push(`export { ${localBinding(fn)} as __femto$${fn.name} };`)
  }
  const usedBy = guardServerOnly(s, code, analysis, options.flag)
  if (analysis.functions.length > 0)
    s.appendLeft(analysis.importAt, `${analysis.importAt > 0 ? '\n' : ''}import { ${options.stub.helper} as ${HELPER_LOCAL} } from ${JSON.stringify(options.stub.from)};\n`)
  if (appended.length > 0)
    s.append(`\n${appended.join('\n')}\n`)
  return {
    code: s.toString(),
    map: options.sourcemap === false ? null : s.generateMap({ hires: 'boundary', source: analysis.id, includeContent: true }),
    imports: serviceImports(analysis, usedBy, options.flag),
  }
}

/**
 * Where the per-service transform keeps each import: a statement goes where none of its
 * specifiers is left (each is used only by femto functions, to a fixed point, and none of them is
 * hosted), and in a file-level module every statement but the stubs goes where none of its
 * functions is hosted, `import './setup'` included. In a module with function-level directives,
 * `import './setup'` is the module's own load-time code: wherever the module loads.
 */
function serviceImports<F extends FemtoFunction>(analysis: ModuleAnalysis<F>, usedBy: Map<string, Set<string>>, flag: (fn: F) => string): ServiceImport[] {
  const byKey = new Map(analysis.functions.map(fn => [`fn:${fn.name}`, fn]))
  const everyFn = [...byKey.keys()]
  return analysis.imports.map(({ source, units }) => {
    let users: Set<string> | undefined = units.length > 0 ? new Set() : undefined
    for (const unit of units) {
      const fns = usedBy.get(unit)
      if (!fns || fns.size === 0) {
        users = undefined
        break
      }
      fns.forEach(fn => users!.add(fn))
    }
    if (!users && analysis.fileLevel)
      users = new Set(everyFn)
    return { source, when: users && [...users].sort().map(key => flag(byKey.get(key)!)) }
  })
}

/**
 * What the per-service transform would drop where none of its users is hosted, computed for
 * every service at once: a top-level declarator that only femto functions use (to the same
 * fixed point as `removeUnusedDeclarations`) runs only behind the flags of the functions that
 * use it, `(<flags>) ? <init> : undefined`, which each service's define folds so that
 * tree-shaking drops it, and then the imports only it used. In a file-level module, code run at
 * the top (and a declarator nobody uses) is server code of every function of the module: it
 * runs behind any of their flags. A class becomes `let <name> = (<flags>) ? class <name> … : undefined`
 * (a static initializer is code that runs). Function declarations need nothing (hoisted, they
 * run nothing), nor do import statements here: an unused binding goes, and whether the module
 * it imports loads is the services' build's to decide (`serviceImports`, build/service-graph.ts).
 * Returns, for each unit only femto functions use, which of them (`fn:<name>`) use it.
 */
function guardServerOnly<F extends FemtoFunction>(s: MagicString, code: string, analysis: ModuleAnalysis<F>, flag: (fn: F) => string): Map<string, Set<string>> {
  if (analysis.functions.length === 0)
    return new Map()
  const everyFn = analysis.functions.map(fn => `fn:${fn.name}`)
  // Who a key stands for: its femto functions, once known; a unit not (yet) known to be server-only is absent.
  const usedBy = new Map<string, Set<string>>(everyFn.map(key => [key, new Set([key])]))
  if (analysis.fileLevel) {
    for (const stmt of analysis.topLevel) {
      if (stmt.runs)
        usedBy.set(`top:${stmt.range.start}`, new Set(everyFn))
    }
  }
  const ownersOf = (unit: { key: string, bindings: string[] }): string[] =>
    unit.bindings.flatMap(b => [...(analysis.owners.get(b) ?? [])].filter(o => o !== unit.key))
  // Which units only femto functions use, to a fixed point; then whose they are, to another (a
  // unit's functions are the union of its users', and a cycle of units converges too).
  let changed = true
  while (changed) {
    changed = false
    for (const unit of analysis.units.values()) {
      if (usedBy.has(unit.key))
        continue
      const owners = ownersOf(unit)
      const unused = owners.length === 0 && analysis.fileLevel
      if (unused || (owners.length > 0 && owners.every(o => usedBy.has(o)))) {
        usedBy.set(unit.key, new Set(unused ? everyFn : []))
        changed = true
      }
    }
  }
  changed = true
  while (changed) {
    changed = false
    for (const unit of analysis.units.values()) {
      const fns = usedBy.get(unit.key)
      if (!fns)
        continue
      for (const owner of ownersOf(unit)) {
        for (const fn of usedBy.get(owner)!) {
          if (!fns.has(fn)) {
            fns.add(fn)
            changed = true
          }
        }
      }
    }
  }

  const byKey = new Map(analysis.functions.map(fn => [`fn:${fn.name}`, fn]))
  const condition = (keys: Iterable<string>): string => [...keys].sort().map(key => flag(byKey.get(key)!)).join(' || ')
  for (const unit of analysis.units.values()) {
    const fns = usedBy.get(unit.key)
    if (!fns || fns.size === 0)
      continue
    if (unit.kind === 'statement') {
      // A decorated or abstract class has no expression form: left as it is.
      const name = /^class\s+([\w$]+)/.exec(code.slice(unit.statement.start, unit.statement.end))?.[1]
      if (name) {
        s.appendRight(unit.statement.start, `let ${name} = (${condition(fns)}) ? `)
        s.appendLeft(unit.statement.end, ` : undefined;`)
      }
      continue
    }
    if (unit.kind !== 'declarator' || !unit.init)
      continue
    s.appendRight(unit.init.start, `(${condition(fns)}) ? (`)
    s.appendLeft(unit.init.end, `) : ${unit.init.empty}`)
  }
  if (analysis.fileLevel) {
    const any = condition(everyFn)
    for (const stmt of analysis.topLevel) {
      if (!stmt.runs)
        continue
      s.appendRight(stmt.range.start, `if (${any}) { `)
      s.appendLeft(stmt.range.end, ` }`)
    }
  }
  return usedBy
}

function stubText<F extends FemtoFunction>(fn: F, stub: StubSpec<F>): string {
  const name = fn.declaration && fn.localName ? ` ${fn.localName}` : ''
  return `function${name}(...args) { return ${HELPER_LOCAL}(${stub.meta(fn)}, args) }`
}

/** The analyzer gives every unexported top-level femto function a name (an anonymous one is the default export). */
function localBinding(fn: FemtoFunction): string {
  assertInternal(fn.localName, `'${fn.name}' is neither exported nor named`)
  return fn.localName
}

function withoutDirective(code: string, fn: FemtoFunction): string {
  let text = ''
  let at = fn.range.start
  for (const directive of fn.directives) {
    text += code.slice(at, directive.start)
    at = directive.end
  }
  return text + code.slice(at, fn.range.end)
}

/**
 * Drops top-level declarations whose every use sat in a stubbed body, to a fixed point (a
 * helper used only by a dropped helper goes too). Declarations nobody used stay: they may be
 * there for their side effects.
 */
function removeUnusedDeclarations(s: MagicString, analysis: ModuleAnalysis, stubbed: Set<string>): void {
  const removed = new Set(stubbed)
  let changed = true
  while (changed) {
    changed = false
    for (const unit of analysis.units.values()) {
      if (removed.has(unit.key))
        continue
      const owners = unit.bindings.flatMap(b => [...(analysis.owners.get(b) ?? [])].filter(o => o !== unit.key))
      if (owners.length > 0 && owners.every(o => removed.has(o))) {
        removed.add(unit.key)
        changed = true
      }
    }
  }

  const rewritten = new Set<number>()
  for (const unit of analysis.units.values()) {
    if (!removed.has(unit.key) || rewritten.has(unit.statement.start))
      continue
    rewritten.add(unit.statement.start)
    const stmt = analysis.statements.get(unit.statement.start)
    if (!stmt) {
      s.remove(unit.statement.start, unit.statement.end)
      continue
    }
    const keptIdx = stmt.parts.map((p, i) => (removed.has(p.key) ? -1 : i)).filter(i => i >= 0)
    if (keptIdx.length === 0) {
      s.remove(unit.statement.start, unit.statement.end)
      continue
    }
    // The kept parts as they are now: a declarator may hold a stub written a moment ago.
    const partText = (i: number): string => s.slice(stmt.parts[i]!.start, stmt.parts[i]!.end)
    if (stmt.kind === 'variable') {
      s.overwrite(unit.statement.start, unit.statement.end, `${stmt.text} ${keptIdx.map(partText).join(', ')};`)
    }
    else {
      const defaults = keptIdx.filter(i => stmt.isDefault[i]).map(partText)
      const named = keptIdx.filter(i => !stmt.isDefault[i]).map(partText)
      const clause = [...defaults, ...(named.length ? [`{ ${named.join(', ')} }`] : [])].join(', ')
      s.overwrite(unit.statement.start, unit.statement.end, `import ${clause} from ${stmt.text}`)
    }
  }
}
