import type { Binding, NodePath } from '@babel/traverse'
import type * as t from '@babel/types'
import type { ModuleAnalysis, RemovableUnit } from './analyze'
import type { Range } from './range'
import { rangeOf } from './range'

/** Top-level statements that are only code to run: a block can hold them without changing a scope. */
const RUNS = new Set<string>(['ExpressionStatement', 'IfStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement', 'TryStatement', 'BlockStatement', 'SwitchStatement', 'ThrowStatement'])

/** Records every removable top-level declaration and who refers to each top-level binding. */
export function collectUnits(programPath: NodePath<t.Program>, code: string, result: ModuleAnalysis): void {
  const fnRanges = result.functions.map(f => ({ key: `fn:${f.name}`, ...f.range }))
  const statements = programPath.node.body
  const within = (pos: number, r: Range): boolean => pos >= r.start && pos < r.end
  // In a file-level module, code run at the top is server code too: it owns what it uses.
  const running: { key: string, start: number, end: number }[] = []
  // Namespaces and enums: Babel's scope has no binding for them.
  const typeScriptNames = new Set<string>()

  for (const stmt of statements) {
    const statement = rangeOf(stmt)
    const holdsFemto = fnRanges.some(r => r.start >= statement.start && r.end <= statement.end)
    result.topLevel.push({
      range: statement,
      keepWhenStubbed: holdsFemto
        || (stmt.type === 'ExportNamedDeclaration' && !stmt.declaration && !stmt.source)
        || (stmt.type === 'ExportDefaultDeclaration' && stmt.declaration.type === 'Identifier'),
      runs: !holdsFemto && RUNS.has(stmt.type),
    })
    if (result.fileLevel && !holdsFemto && RUNS.has(stmt.type))
      running.push({ key: `top:${statement.start}`, ...statement })
    if (stmt.type === 'ImportDeclaration' && stmt.importKind !== 'type')
      result.imports.push({ source: stmt.source.value, units: stmt.specifiers.map(s => `u:${s.start}`) })
    // A re-export loads its module wherever the module loads: no unit of it is ever dropped.
    else if ((stmt.type === 'ExportAllDeclaration' || stmt.type === 'ExportNamedDeclaration') && stmt.source && stmt.exportKind !== 'type')
      result.imports.push({ source: stmt.source.value, units: [] })
    if (stmt.type === 'ImportDeclaration' && stmt.importKind !== 'type' && stmt.specifiers.length > 0) {
      const parts = stmt.specifiers.map(s => ({ key: `u:${s.start}`, ...rangeOf(s) }))
      result.statements.set(statement.start, {
        kind: 'import',
        text: code.slice(rangeOf(stmt.source).start, statement.end),
        parts,
        isDefault: stmt.specifiers.map(s => s.type === 'ImportDefaultSpecifier' || s.type === 'ImportNamespaceSpecifier'),
      })
      for (const s of stmt.specifiers) {
        const unit: RemovableUnit = { key: `u:${s.start}`, kind: 'import', statement, node: rangeOf(s), bindings: [s.local.name] }
        result.units.set(unit.key, unit)
      }
    }
    else if (stmt.type === 'VariableDeclaration' && !stmt.declare) {
      const parts = stmt.declarations.map(d => ({ key: `u:${d.start}`, ...rangeOf(d) }))
      result.statements.set(statement.start, { kind: 'variable', text: stmt.kind, parts, isDefault: parts.map(() => false) })
      for (const d of stmt.declarations) {
        const node = rangeOf(d)
        if (fnRanges.some(r => r.start >= node.start && r.end <= node.end))
          continue
        const init = d.init ? { ...rangeOf(d.init), empty: d.id.type === 'ObjectPattern' ? '{}' as const : d.id.type === 'ArrayPattern' ? '[]' as const : 'undefined' as const } : undefined
        const unit: RemovableUnit = { key: `u:${d.start}`, kind: 'declarator', statement, node, bindings: Object.keys(getIds(d.id)), init }
        result.units.set(unit.key, unit)
      }
    }
    // A namespace compiles to a closure that assigns to an object, and an enum, in some
    // compilers, to one too: bundlers keep what they cannot prove pure, secrets included.
    else if ((stmt.type === 'TSModuleDeclaration' || stmt.type === 'TSEnumDeclaration') && !stmt.declare && stmt.id.type === 'Identifier') {
      const unit: RemovableUnit = { key: `u:${stmt.start}`, kind: 'statement', statement, node: statement, bindings: [stmt.id.name] }
      result.units.set(unit.key, unit)
      typeScriptNames.add(stmt.id.name)
    }
    else if ((stmt.type === 'FunctionDeclaration' || stmt.type === 'ClassDeclaration') && stmt.id) {
      if (fnRanges.some(r => r.start === statement.start))
        continue
      const unit: RemovableUnit = { key: `u:${stmt.start}`, kind: 'statement', statement, node: statement, bindings: [stmt.id.name] }
      result.units.set(unit.key, unit)
    }
  }

  const ownerAt = (pos: number): string => {
    let inner: { key: string, start: number, end: number } | undefined
    for (const r of fnRanges) {
      if (within(pos, r) && (!inner || r.start >= inner.start))
        inner = r
    }
    if (inner)
      return inner.key
    for (const unit of result.units.values()) {
      if (within(pos, unit.node))
        return unit.key
    }
    return running.find(r => within(pos, r))?.key ?? 'root'
  }

  const bindings: Record<string, Binding> = programPath.scope.bindings
  for (const [name, binding] of Object.entries(bindings)) {
    const owners = new Set<string>()
    for (const ref of [...binding.referencePaths, ...binding.constantViolations]) {
      if (ref.node.start == null)
        continue
      owners.add(ownerAt(ref.node.start))
    }
    result.owners.set(name, owners)
  }
  if (typeScriptNames.size > 0) {
    for (const name of typeScriptNames)
      result.owners.set(name, new Set())
    programPath.traverse({
      ReferencedIdentifier(path) {
        const { name, start } = path.node as t.Identifier
        if (typeScriptNames.has(name) && start != null && !path.scope.hasBinding(name))
          result.owners.get(name)!.add(ownerAt(start))
      },
    })
  }
}

/**
 * A validator or hook named in a function's directive belongs to that function: where the
 * function is a stub (the browser), it goes too, with what only it imported (zod, valibot…).
 */
export function claimDirectiveBindings(result: ModuleAnalysis): void {
  for (const fn of result.functions) {
    for (const binding of [fn.standardSchema, fn.authHook]) {
      if (binding)
        result.owners.get(binding)?.add(`fn:${fn.name}`)
    }
  }
}

function getIds(node: t.Node): Record<string, true> {
  const out: Record<string, true> = {}
  const visit = (n: t.Node | null | undefined): void => {
    if (!n)
      return
    if (n.type === 'Identifier')
      out[n.name] = true
    else if (n.type === 'ObjectPattern')
      n.properties.forEach(p => visit(p.type === 'RestElement' ? p.argument : p.value))
    else if (n.type === 'ArrayPattern')
      n.elements.forEach(visit)
    else if (n.type === 'AssignmentPattern')
      visit(n.left)
    else if (n.type === 'RestElement')
      visit(n.argument)
  }
  visit(node)
  return out
}
