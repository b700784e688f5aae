import type { NodePath } from '@babel/traverse'
import type * as t from '@babel/types'
import type { Fail, FemtoFunction } from './analyze'
import type { DirectiveSettings } from './directives'
import traverseModule from '@babel/traverse'
import { femtoDirectives, markedDirective, policyAndSchema, policyIn, rejectStrayDirective } from './directives'
import { assertInternal } from './errors'
import { camelCaseFileName, isValidServiceName, RESERVED_NAMES, suggestAlias } from './names'
import { checkNoCapture, isTopLevelExportedFunction, localNameOf, topLevelForm } from './placement'
import { rangeOf } from './range'
import { contractOf, paramsOf } from './signature'

// @babel/traverse is CommonJS; its default export sits one level deeper under some loaders.
const traverse: typeof traverseModule = (traverseModule as any).default ?? traverseModule

/** What the walk knows of the module around each function. */
export interface ModuleFacts {
  id: string
  code: string
  /** The module itself is marked 'use femto'. */
  fileLevel: boolean
  /** Local binding name → the names the module exports it under. */
  exportsOf: Map<string, string[]>
  modulePolicy: DirectiveSettings | undefined
  fail: Fail
}

/**
 * One walk of the module: every femto function, in source order, and the program's path for
 * the scope analysis that follows. Throws at the first use of the directive that cannot be served.
 */
export function findFemtoFunctions(ast: t.File, module: ModuleFacts): { functions: FemtoFunction[], programPath: NodePath<t.Program> } {
  const functions: FemtoFunction[] = []
  let programPath: NodePath<t.Program> | undefined
  traverse(ast, {
    Program(path) {
      programPath = path
    },
    ExpressionStatement(path) {
      rejectStrayDirective(path.node, module.fail)
    },
    Function(path) {
      const found = femtoFunctionAt(path, module)
      if (!found)
        return
      const { fn, at } = found
      const clash = functions.find(f => f.name === fn.name)
      if (clash)
        module.fail(`two functions in this module are both served as '${fn.name}' (the other is at line ${clash.line}). Rename one of them`, at)
      functions.push(fn)
    },
  })
  assertInternal(programPath, 'the walk visits the Program')
  return { functions, programPath }
}

/** The femto function this function is, if it is one; `at` is where its errors point. */
function femtoFunctionAt(path: NodePath<t.Function>, module: ModuleFacts): { fn: FemtoFunction, at: t.Node } | undefined {
  const node = path.node
  const directive = markedDirective(node)
  const exportedFromFileLevel = module.fileLevel && isTopLevelExportedFunction(path, module.exportsOf)
  // Read before deciding whether the function is served: a policy on one that is not is a mistake to report.
  const ownPolicy = node.body.type === 'BlockStatement' ? policyIn(node.body.directives, !!directive || exportedFromFileLevel, module.fail) : undefined
  if (!directive && !exportedFromFileLevel)
    return undefined
  const at = directive ?? node
  rejectUnservableForm(node, at, module.fail)
  const nested = !topLevelForm(path)
  if (nested)
    checkNested(path, at, module.fail)
  const { name, localName, exportNames } = serviceNameOf(path, nested, at, module)
  const loc = (node.type === 'FunctionDeclaration' && node.id ? node.id : at).loc!.start
  const fn: FemtoFunction = {
    name,
    localName,
    exportNames,
    range: rangeOf(node),
    declaration: node.type === 'FunctionDeclaration',
    async: !!node.async,
    generator: !!node.generator,
    params: paramsOf(node),
    directives: node.body.type === 'BlockStatement' ? femtoDirectives(node.body.directives) : [],
    nested,
    stream: !!node.generator,
    ...policyAndSchema(module.modulePolicy, ownPolicy),
    contract: contractOf(name, node, module.code),
    line: loc.line,
    column: loc.column,
  }
  return { fn, at }
}

/** Methods have no standalone function to serve, and a service streams, so a generator must be async. */
function rejectUnservableForm(node: t.Function, at: t.Node, fail: Fail): void {
  if (node.type === 'ClassMethod' || node.type === 'ClassPrivateMethod')
    fail(`'use femto' cannot mark a class method: a service has no instance to call it on. Move the body into an exported function marked 'use femto' and call it from the method`, at)
  if (node.type === 'ObjectMethod')
    fail(`'use femto' cannot mark an object method. Declare it as an exported function marked 'use femto' (e.g. \`export async function name() { 'use femto' }\`) and reference it from the object`, at)
  if (node.generator && !node.async)
    fail(`'use femto' cannot mark a synchronous generator: a service streams its values as they come. Make it \`async function*\``, at)
}

/** The one message for a function that cannot be served under a name. */
const NO_NAME = `'use femto' marks a function that has no name to serve it under. Declare it with a name: \`export async function name() { 'use femto' }\` or \`export const name = async () => { 'use femto' }\``

/** A function below the top level: inside another function it must capture nothing; elsewhere it needs a name. */
function checkNested(path: NodePath<t.Function>, at: t.Node, fail: Fail): void {
  if (path.findParent(p => p.isFunction()))
    checkNoCapture(path, fail)
  else if (!localNameOf(path))
    fail(NO_NAME, at)
}

/**
 * The name it is served under: its first export name other than `default`, else its local name,
 * else (an anonymous default export) its file's. Route, file name and env var suffix all come
 * from it, so it must be an ASCII identifier that no build output already uses.
 */
function serviceNameOf(path: NodePath<t.Function>, nested: boolean, at: t.Node, module: ModuleFacts): Pick<FemtoFunction, 'name' | 'localName' | 'exportNames'> {
  const localName = localNameOf(path)
  // A nested function's name is local to its scope: a top-level export of the same name is another binding.
  const exportNames = localName && !nested ? [...(module.exportsOf.get(localName) ?? [])] : []
  const isAnonymousDefault = !localName && path.parentPath.isExportDefaultDeclaration()
  if (isAnonymousDefault)
    exportNames.push('default')
  if (!localName && !isAnonymousDefault)
    module.fail(NO_NAME, at)

  const named = exportNames.find(n => n !== 'default')
  const name = named ?? localName ?? camelCaseFileName(module.id)
  if (!isValidServiceName(name)) {
    const reason = RESERVED_NAMES.has(name)
      ? `the service name '${name}' is reserved (it names an output file of every build)`
      : `the service name '${name}' is not an ASCII identifier, so it cannot be a route, a file name and an env var suffix`
    const hint = named || localName
      ? `Export it under another name: \`export { ${localName ?? 'fn'} as ${suggestAlias(name)} }\``
      : `Give the function a name: \`export default async function ${suggestAlias(name)}() { 'use femto' }\``
    module.fail(`${reason}. ${hint}`, at)
  }
  return { name, localName, exportNames }
}
