import type { Binding, NodePath } from '@babel/traverse'
import type * as t from '@babel/types'
import type { BindingSettings, FunctionPolicy } from '../registry/policy'
import { parse } from '@babel/parser'
import traverseModule from '@babel/traverse'
import { isPolicyDirective, parsePolicyDirective } from '../registry/policy'
import { FemtoUsageError } from './errors'
import { fnv1a } from './hash'
import { camelCaseFileName, isValidServiceName, RESERVED_NAMES, suggestAlias } from './names'
import { DIRECTIVE } from './precheck'

// @babel/traverse is CommonJS; its default export sits one level deeper under some loaders.
const traverse: typeof traverseModule = (traverseModule as any).default ?? traverseModule

export interface Range { start: number, end: number }

export interface FemtoParam {
  name: string
  optional: boolean
  rest: boolean
}

export interface FemtoFunction {
  /** The service name: route segment, file name, key of the manifest. */
  name: string
  localName: string | undefined
  /** Names the module exports it under (`default` included). */
  exportNames: string[]
  /** The function node; where the function is not hosted, this range becomes a stub. */
  range: Range
  /** A declaration keeps its binding and hoisting, so its stub is a declaration too. */
  declaration: boolean
  async: boolean
  generator: boolean
  params: FemtoParam[]
  /** Its own `'use femto'` and policy directive, when marked at function level: removed where it is hosted. */
  directives: Range[]
  /** Declared inside another function (and capturing nothing from it). */
  nested: boolean
  /** An `async function*`: its values are streamed. */
  stream: boolean
  /** From `'femto retries=3 …'` directives: the module's, then the function's own. */
  policy: FunctionPolicy | undefined
  /** `'femto schema=<binding>'`: a Standard Schema validator of its named arguments. */
  standardSchema: string | undefined
  /** `'femto auth=<binding>'`: its own auth hook. */
  authHook: string | undefined
  /**
   * Hash of what callers depend on: name, parameters with their types, return type. A stub
   * built against another contract gets 409 STALE_CLIENT instead of a wrong result.
   */
  contract: string
  line: number
  column: number
}

/**
 * A top-level declaration (import specifier, declarator, function or class) that may be
 * dropped from a module once the femto functions that used it become stubs.
 */
export interface RemovableUnit {
  key: string
  kind: 'import' | 'declarator' | 'statement'
  /** The statement holding it: an import or variable declaration with siblings is rewritten, not cut. */
  statement: Range
  node: Range
  bindings: string[]
}

export interface ModuleAnalysis {
  id: string
  fileLevel: boolean
  /** Module-level `'use femto'` and policy directive. */
  moduleDirectives: Range[]
  /** Where generated imports go: after the directive prologue and any hashbang. */
  importAt: number
  functions: FemtoFunction[]
  units: Map<string, RemovableUnit>
  /** For each top-level binding: who refers to it (`fn:<name>`, a unit key, or `root`). */
  owners: Map<string, Set<string>>
  /** Import and variable declarations, with their specifiers/declarators, for rewriting. */
  statements: Map<number, { kind: 'import' | 'variable', text: string, parts: { key: string, start: number, end: number }[], isDefault: boolean[] }>
  /** Top-level statements; a file-level module with nothing hosted keeps only its stubs. */
  topLevel: { range: Range, keepWhenStubbed: boolean }[]
}

const PARSER_PLUGINS_TS = ['typescript', 'decorators-legacy', 'importAttributes', 'explicitResourceManagement'] as const

export function parseModule(id: string, code: string): t.File {
  const isTs = /\.[cm]?tsx?$/.test(id)
  const jsx = /\.[jt]sx$/.test(id) || !isTs
  return parse(code, {
    sourceType: 'module',
    sourceFilename: id,
    allowAwaitOutsideFunction: true,
    allowReturnOutsideFunction: false,
    plugins: [...(isTs ? PARSER_PLUGINS_TS : ['decorators-legacy', 'importAttributes'] as const), ...(jsx ? ['jsx' as const] : [])],
    errorRecovery: false,
  })
}

interface AnalyzeOptions {
  /** Path shown in error messages (relative to the project root). */
  displayId?: string
}

/**
 * Parses a module that contains the directive text and returns plain records of its femto
 * functions and of the top-level bindings they use. Throws `FemtoUsageError` for every use of
 * the directive that cannot become a service.
 */
export function analyzeModule(id: string, code: string, options: AnalyzeOptions = {}): ModuleAnalysis {
  const displayId = options.displayId ?? id
  const fail = (reason: string, node: t.Node): never => {
    const loc = node.loc!.start
    throw new FemtoUsageError(reason, id, code, { line: loc.line, column: loc.column }, displayId)
  }

  let ast: t.File
  try {
    ast = parseModule(id, code)
  }
  catch (error: any) {
    // Not ours to report: the bundler's own parser will say the same with more context.
    if (error?.loc)
      throw new FemtoUsageError(`could not parse this module: ${String(error.message).replace(/\s*\(\d+:\d+\)$/, '')}`, id, code, { line: error.loc.line, column: error.loc.column }, displayId)
    throw error
  }
  const program = ast.program

  const moduleDirectiveNode = program.directives.find(d => d.value.value === DIRECTIVE)
  const fileLevel = !!moduleDirectiveNode
  const lastDirective = program.directives.at(-1)
  const importAt = lastDirective ? lastDirective.end! : (program.interpreter ? program.interpreter.end! : 0)

  // Exports of the module: local binding name → exported names.
  const exportsOf = new Map<string, string[]>()
  const addExport = (local: string, exported: string): void => {
    const list = exportsOf.get(local) ?? []
    list.push(exported)
    exportsOf.set(local, list)
  }
  for (const stmt of program.body) {
    if (stmt.type === 'ExportNamedDeclaration') {
      if (stmt.exportKind === 'type')
        continue
      if (stmt.source) {
        if (fileLevel)
          fail(`a 'use femto' module cannot re-export from another module; import the function and export it from a function marked 'use femto' instead`, stmt)
        continue
      }
      const decl = stmt.declaration
      if (decl?.type === 'FunctionDeclaration' && decl.id) {
        addExport(decl.id.name, decl.id.name)
      }
      else if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          if (d.id.type === 'Identifier')
            addExport(d.id.name, d.id.name)
        }
      }
      for (const spec of stmt.specifiers) {
        if (spec.type !== 'ExportSpecifier' || spec.exportKind === 'type')
          continue
        addExport(spec.local.name, spec.exported.type === 'Identifier' ? spec.exported.name : spec.exported.value)
      }
    }
    else if (stmt.type === 'ExportDefaultDeclaration') {
      const decl = stmt.declaration
      if ((decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') && decl.id)
        addExport(decl.id.name, 'default')
      else if (decl.type === 'Identifier')
        addExport(decl.name, 'default')
    }
    else if (stmt.type === 'ExportAllDeclaration' && fileLevel && stmt.exportKind !== 'type') {
      fail(`a 'use femto' module cannot re-export from another module (export *); export each function from a function marked 'use femto' instead`, stmt)
    }
  }

  const functions: FemtoFunction[] = []
  const functionPaths = new Map<FemtoFunction, NodePath<t.Function>>()
  let programPath: NodePath<t.Program> | undefined

  const markedDirective = (fn: t.Function): t.Directive | undefined =>
    fn.body.type === 'BlockStatement' ? fn.body.directives.find(d => d.value.value === DIRECTIVE) : undefined
  const rangeOf = (node: t.Node): Range => ({ start: node.start!, end: node.end! })
  const femtoDirectives = (directives: t.Directive[]): Range[] =>
    directives.filter(d => d.value.value === DIRECTIVE || isPolicyDirective(d.value.value)).map(rangeOf)
  const policyIn = (directives: t.Directive[], marked: boolean): (FunctionPolicy & BindingSettings) | undefined => {
    const found = directives.filter(d => isPolicyDirective(d.value.value))
    if (found.length === 0)
      return undefined
    const use = directives.findIndex(d => d.value.value === DIRECTIVE)
    if (use > directives.indexOf(found[0]!))
      fail(`a policy directive ('femto …') must follow 'use femto', not come before it`, found[0]!)
    if (!marked)
      fail(`a policy directive ('femto …') sets the policy of a femto function, so it must follow 'use femto' in the same directive prologue`, found[0]!)
    if (found.length > 1)
      fail(`one policy directive per function (or module): put every setting in one string, e.g. 'femto retries=3 timeoutMs=2000'`, found[1]!)
    try {
      return parsePolicyDirective(found[0]!.value.value)
    }
    catch (error) {
      return fail(`invalid policy directive: ${(error as Error).message}`, found[0]!)
    }
  }
  const modulePolicy = policyIn(program.directives, fileLevel)

  traverse(ast, {
    Program(path) {
      programPath = path
    },
    ExpressionStatement(path) {
      const e = path.node.expression
      const text = e.type === 'StringLiteral'
        ? e.value
        : e.type === 'TemplateLiteral' && e.expressions.length === 0 ? e.quasis[0]!.value.cooked : undefined
      if (text === DIRECTIVE) {
        fail(`'use femto' is not in a directive position here. It must be the first statement of a function body (to make that function a service) or of the module (to make every exported function a service), written as a plain string literal`, path.node)
      }
      if (text !== undefined && isPolicyDirective(text))
        fail(`a policy directive ('femto …') must directly follow 'use femto', in the directive prologue before any other statement`, path.node)
    },
    Function(path) {
      const node = path.node
      const directive = markedDirective(node)
      const exportedFromFileLevel = fileLevel && isTopLevelExportedFunction(path, exportsOf)
      const ownPolicy = node.body.type === 'BlockStatement' ? policyIn(node.body.directives, !!directive || exportedFromFileLevel) : undefined
      if (!directive && !exportedFromFileLevel)
        return
      const at = directive ?? node
      if (node.type === 'ClassMethod' || node.type === 'ClassPrivateMethod')
        fail(`'use femto' cannot mark a class method: a service has no instance to call it on. Move the body into an exported function marked 'use femto' and call it from the method`, at)
      if (node.type === 'ObjectMethod')
        fail(`'use femto' cannot mark an object method. Declare it as an exported function marked 'use femto' (e.g. \`export async function name() { 'use femto' }\`) and reference it from the object`, at)
      if (node.generator && !node.async)
        fail(`'use femto' cannot mark a synchronous generator: a service streams its values as they come. Make it \`async function*\``, at)

      const top = topLevelForm(path)
      const nested = !top
      if (nested) {
        if (path.findParent(p => p.isFunction()))
          checkNoCapture(path, fail)
        else if (!localNameOf(path))
          fail(`'use femto' marks a function that has no name to serve it under. Declare it with a name: \`export async function name() { 'use femto' }\` or \`export const name = async () => { 'use femto' }\``, at)
      }

      const localName = localNameOf(path)
      // A nested function's name is local to its scope: a top-level export of the same name is another binding.
      const exportNames = localName && !nested ? [...(exportsOf.get(localName) ?? [])] : []
      const isAnonymousDefault = !localName && path.parentPath.isExportDefaultDeclaration()
      if (isAnonymousDefault)
        exportNames.push('default')
      if (!localName && !isAnonymousDefault)
        fail(`'use femto' marks a function that has no name to serve it under. Assign it to a const or declare it with a name`, at)

      const named = exportNames.find(n => n !== 'default')
      const name = named ?? localName ?? camelCaseFileName(id)
      if (!isValidServiceName(name)) {
        const reason = RESERVED_NAMES.has(name)
          ? `the service name '${name}' is reserved (it names an output file of every build)`
          : `the service name '${name}' is not an ASCII identifier, so it cannot be a route, a file name and an env var suffix`
        const hint = named || localName
          ? `Export it under another name: \`export { ${localName ?? 'fn'} as ${suggestAlias(name)} }\``
          : `Give the function a name: \`export default async function ${suggestAlias(name)}() { 'use femto' }\``
        fail(`${reason}. ${hint}`, at)
      }
      const loc = (node.type === 'FunctionDeclaration' && node.id ? node.id : at).loc!.start
      const fn: FemtoFunction = {
        name,
        localName,
        exportNames,
        range: { start: node.start!, end: node.end! },
        declaration: node.type === 'FunctionDeclaration',
        async: !!node.async,
        generator: !!node.generator,
        params: node.params.flatMap((p, i) => paramOf(p, i)),
        directives: node.body.type === 'BlockStatement' ? femtoDirectives(node.body.directives) : [],
        nested,
        stream: !!node.generator,
        ...policyAndSchema(modulePolicy, ownPolicy),
        contract: contractOf(name, node, code),
        line: loc.line,
        column: loc.column,
      }
      const clash = functions.find(f => f.name === name)
      if (clash)
        fail(`two functions in this module are both served as '${name}' (the other is at line ${clash.line}). Rename one of them`, at)
      functions.push(fn)
      functionPaths.set(fn, path)
    },
  })

  if (fileLevel)
    checkFileLevelExports(program, exportsOf, functions, fail)

  const result: ModuleAnalysis = {
    id,
    fileLevel,
    moduleDirectives: fileLevel ? femtoDirectives(program.directives) : [],
    importAt,
    functions,
    units: new Map(),
    owners: new Map(),
    statements: new Map(),
    topLevel: [],
  }
  if (functions.length > 0 || fileLevel)
    collectUnits(programPath!, code, result)
  // A validator or hook named in a function's directive belongs to that function: where the
  // function is a stub (the browser), it goes too, with what only it imported (zod, valibot…).
  for (const fn of functions) {
    for (const binding of [fn.standardSchema, fn.authHook]) {
      if (binding)
        result.owners.get(binding)?.add(`fn:${fn.name}`)
    }
  }
  return result
}

function contractOf(name: string, node: t.Function, code: string): string {
  const params = node.params.length > 0 ? code.slice(node.params[0]!.start!, node.params.at(-1)!.end!) : ''
  const returns = node.returnType ? code.slice(node.returnType.start!, node.returnType.end!) : ''
  const shape = `${name}(${params})${returns}${node.async ? ' async' : ''}${node.generator ? ' generator' : ''}`
  return fnv1a(shape.replace(/\s+/g, ' '))
}

function policyAndSchema(...layers: ((FunctionPolicy & BindingSettings) | undefined)[]): Pick<FemtoFunction, 'policy' | 'standardSchema' | 'authHook'> {
  const merged: FunctionPolicy & BindingSettings = Object.assign({}, ...layers)
  const { schema, auth, ...policy } = merged
  return { policy: Object.keys(policy).length > 0 ? policy : undefined, standardSchema: schema, authHook: auth }
}

/** A function declared where a module-level binding or export names it. */
function topLevelForm(path: NodePath<t.Function>): boolean {
  let p: NodePath = path
  if (path.isFunctionDeclaration())
    return p.parentPath!.isProgram() || (p.parentPath!.isExportDeclaration() && p.parentPath!.parentPath!.isProgram())
  p = unwrapParents(p)
  const parent = p.parentPath!
  if (parent.isExportDefaultDeclaration())
    return true
  if (parent.isVariableDeclarator() && p.key === 'init') {
    const decl = parent.parentPath!
    return decl.parentPath!.isProgram() || (decl.parentPath!.isExportNamedDeclaration() && decl.parentPath!.parentPath!.isProgram())
  }
  return false
}

/** Walks up through parentheses and TypeScript-only wrappers (`as`, `satisfies`, `!`). */
function unwrapParents(path: NodePath): NodePath {
  let p = path
  while (p.parentPath && ['ParenthesizedExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TypeCastExpression'].includes(p.parentPath.node.type))
    p = p.parentPath
  return p
}

function localNameOf(path: NodePath<t.Function>): string | undefined {
  if (path.isFunctionDeclaration())
    return path.node.id?.name
  const p = unwrapParents(path)
  if (p.parentPath?.isVariableDeclarator() && p.key === 'init') {
    const id = p.parentPath.node.id
    return id.type === 'Identifier' ? id.name : undefined
  }
  return undefined
}

function isTopLevelExportedFunction(path: NodePath<t.Function>, exportsOf: Map<string, string[]>): boolean {
  if (!topLevelForm(path))
    return false
  const local = localNameOf(path)
  if (local)
    return exportsOf.has(local)
  return unwrapParents(path).parentPath!.isExportDefaultDeclaration()
}

function paramOf(p: t.Function['params'][number], index: number): FemtoParam[] {
  switch (p.type) {
    case 'Identifier':
      // TypeScript's `this` parameter is a type annotation, not an argument.
      return p.name === 'this' ? [] : [{ name: p.name, optional: !!p.optional, rest: false }]
    case 'AssignmentPattern':
      return [{ name: p.left.type === 'Identifier' ? p.left.name : `arg${index}`, optional: true, rest: false }]
    case 'RestElement':
      return [{ name: p.argument.type === 'Identifier' ? p.argument.name : `arg${index}`, optional: true, rest: true }]
    case 'TSParameterProperty':
      return []
    default:
      return [{ name: `arg${index}`, optional: false, rest: false }]
  }
}

type Fail = (reason: string, node: t.Node) => never

/** A nested femto function becomes a module-level service, so it must not close over locals. */
function checkNoCapture(fnPath: NodePath<t.Function>, fail: Fail): void {
  const programScope = fnPath.scope.getProgramParent()
  const check = (idPath: NodePath<t.Identifier>, name: string): void => {
    const binding = idPath.scope.getBinding(name)
    if (!binding || binding.scope === programScope)
      return
    if (binding.scope.path === fnPath || binding.scope.path.isDescendant(fnPath))
      return
    fail(`this 'use femto' function uses '${name}', a local variable of the function around it; a service runs in another process and cannot see it. Pass '${name}' as an argument, or move the function to the top level of the module`, idPath.node)
  }
  fnPath.traverse({
    ReferencedIdentifier(p) {
      if (p.isIdentifier())
        check(p, p.node.name)
    },
    AssignmentExpression(p) {
      const left = p.get('left')
      if (left.isIdentifier())
        check(left, left.node.name)
    },
    ThisExpression(p) {
      if (fnPath.isArrowFunctionExpression() && !p.findParent(q => q.isFunction() && !q.isArrowFunctionExpression() && q.isDescendant(fnPath)))
        fail(`this 'use femto' arrow function uses 'this' of the function around it; a service cannot see it. Pass what you need as an argument`, p.node)
    },
  })
}

function checkFileLevelExports(program: t.Program, exportsOf: Map<string, string[]>, functions: FemtoFunction[], fail: Fail): void {
  const served = new Set(functions.map(f => f.localName).filter(Boolean))
  const hint = `In a module marked 'use femto' every export must be a function. Move it to another module, or mark only the functions with 'use femto' in their bodies`
  for (const stmt of program.body) {
    if (stmt.type === 'ExportNamedDeclaration' && !stmt.source && stmt.exportKind !== 'type') {
      const decl = stmt.declaration
      if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          if (d.id.type !== 'Identifier' || !served.has(d.id.name))
            fail(`'${d.id.type === 'Identifier' ? d.id.name : 'this export'}' is not a function. ${hint}`, d)
        }
      }
      else if (decl && decl.type !== 'FunctionDeclaration' && !decl.type.startsWith('TS')) {
        fail(`this export is not a function. ${hint}`, decl)
      }
      else if (decl?.type === 'TSEnumDeclaration') {
        fail(`an enum is not a function. ${hint}`, decl)
      }
      for (const spec of stmt.specifiers) {
        if (spec.type === 'ExportSpecifier' && spec.exportKind !== 'type' && !served.has(spec.local.name))
          fail(`'${spec.local.name}' is not a function. ${hint}`, spec)
      }
    }
    else if (stmt.type === 'ExportDefaultDeclaration') {
      const d = stmt.declaration
      const isFn = d.type === 'FunctionDeclaration' || d.type === 'ArrowFunctionExpression' || d.type === 'FunctionExpression'
        || (d.type === 'Identifier' && served.has(d.name))
      if (!isFn && !d.type.startsWith('TS'))
        fail(`the default export is not a function. ${hint}`, d)
    }
  }
  void exportsOf
}

/** Records every removable top-level declaration and who refers to each top-level binding. */
function collectUnits(programPath: NodePath<t.Program>, code: string, result: ModuleAnalysis): void {
  const fnRanges = result.functions.map(f => ({ key: `fn:${f.name}`, ...f.range }))
  const statements = programPath.node.body
  const within = (pos: number, r: Range): boolean => pos >= r.start && pos < r.end

  const unitOfDeclaration = new Map<t.Node, RemovableUnit>()
  for (const stmt of statements) {
    const statement = { start: stmt.start!, end: stmt.end! }
    const holdsFemto = fnRanges.some(r => r.start >= statement.start && r.end <= statement.end)
    result.topLevel.push({
      range: statement,
      keepWhenStubbed: holdsFemto
        || (stmt.type === 'ExportNamedDeclaration' && !stmt.declaration && !stmt.source)
        || (stmt.type === 'ExportDefaultDeclaration' && stmt.declaration.type === 'Identifier'),
    })
    if (stmt.type === 'ImportDeclaration' && stmt.importKind !== 'type' && stmt.specifiers.length > 0) {
      const parts = stmt.specifiers.map(s => ({ key: `u:${s.start}`, start: s.start!, end: s.end! }))
      result.statements.set(stmt.start!, {
        kind: 'import',
        text: code.slice(stmt.source.start!, stmt.end!),
        parts,
        isDefault: stmt.specifiers.map(s => s.type === 'ImportDefaultSpecifier' || s.type === 'ImportNamespaceSpecifier'),
      })
      for (const s of stmt.specifiers) {
        const unit: RemovableUnit = { key: `u:${s.start}`, kind: 'import', statement, node: { start: s.start!, end: s.end! }, bindings: [s.local.name] }
        result.units.set(unit.key, unit)
        unitOfDeclaration.set(s, unit)
      }
    }
    else if (stmt.type === 'VariableDeclaration' && !stmt.declare) {
      const parts = stmt.declarations.map(d => ({ key: `u:${d.start}`, start: d.start!, end: d.end! }))
      result.statements.set(stmt.start!, { kind: 'variable', text: stmt.kind, parts, isDefault: parts.map(() => false) })
      for (const d of stmt.declarations) {
        const node = { start: d.start!, end: d.end! }
        if (fnRanges.some(r => r.start >= node.start && r.end <= node.end))
          continue
        const unit: RemovableUnit = { key: `u:${d.start}`, kind: 'declarator', statement, node, bindings: Object.keys(getIds(d.id)) }
        result.units.set(unit.key, unit)
        unitOfDeclaration.set(d, unit)
      }
    }
    else if ((stmt.type === 'FunctionDeclaration' || stmt.type === 'ClassDeclaration') && stmt.id) {
      if (fnRanges.some(r => r.start === stmt.start))
        continue
      const unit: RemovableUnit = { key: `u:${stmt.start}`, kind: 'statement', statement, node: statement, bindings: [stmt.id.name] }
      result.units.set(unit.key, unit)
      unitOfDeclaration.set(stmt, unit)
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
    return 'root'
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
