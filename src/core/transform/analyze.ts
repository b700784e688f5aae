import type * as t from '@babel/types'
import type { FunctionPolicy } from '../registry/policy'
import type { Range } from './range'
import { parse } from '@babel/parser'
import { femtoDirectives, policyIn } from './directives'
import { assertInternal } from './errors'
import { checkFileLevelExports, exportsOf } from './exports'
import { DIRECTIVE } from './precheck'
import { claimDirectiveBindings, collectUnits } from './units'
import { FemtoUsageError } from './usage-error'
import { findFemtoFunctions } from './visit'

export type { Range } from './range'

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
  /** A declarator's initializer, and what `undefined` stands for when its pattern destructures. */
  init?: Range & { empty: 'undefined' | '{}' | '[]' }
}

/** `F`: the record of each function, which the registry extends with where it lives. */
export interface ModuleAnalysis<F extends FemtoFunction = FemtoFunction> {
  id: string
  fileLevel: boolean
  /** Module-level `'use femto'` and policy directive. */
  moduleDirectives: Range[]
  /** Where generated imports go: after the directive prologue and any hashbang. */
  importAt: number
  functions: F[]
  units: Map<string, RemovableUnit>
  /** For each top-level binding: who refers to it (`fn:<name>`, a unit key, or `root`). */
  owners: Map<string, Set<string>>
  /** Import and variable declarations, with their specifiers/declarators, for rewriting. */
  statements: Map<number, { kind: 'import' | 'variable', text: string, parts: { key: string, start: number, end: number }[], isDefault: boolean[] }>
  /**
   * Top-level statements; a file-level module with nothing hosted keeps only its stubs.
   * `runs`: a statement that is code to run (no declaration, import or export, no femto
   * function), which in a file-level module also owns what it refers to (`top:<start>`).
   */
  topLevel: { range: Range, keepWhenStubbed: boolean, runs: boolean }[]
  /**
   * Every value import statement and re-export, in order: what it imports from, and the units
   * of its specifiers (none for `import './x'` and for a re-export). Vite's one build of every service needs them to say
   * which services load the imported module (ConditionalImport).
   */
  imports: { source: string, units: string[] }[]
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

/** Reports a use of the directive that cannot be served, pointing at `node`. */
export type Fail = (reason: string, node: t.Node) => never

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
  const fail: Fail = (reason, node) => {
    assertInternal(node.loc, 'a parsed node has its source position')
    throw new FemtoUsageError(reason, id, code, { line: node.loc.start.line, column: node.loc.start.column }, displayId)
  }

  const ast = parseOrReport(id, code, displayId)
  const program = ast.program
  const fileLevel = program.directives.some(d => d.value.value === DIRECTIVE)
  const exports = exportsOf(program, fileLevel, fail)
  const modulePolicy = policyIn(program.directives, fileLevel, fail)
  const { functions, programPath } = findFemtoFunctions(ast, { id, code, fileLevel, exportsOf: exports, modulePolicy, fail })
  if (fileLevel)
    checkFileLevelExports(program, functions, fail)

  const result: ModuleAnalysis = {
    id,
    fileLevel,
    moduleDirectives: fileLevel ? femtoDirectives(program.directives) : [],
    importAt: importPosition(program),
    functions,
    units: new Map(),
    owners: new Map(),
    statements: new Map(),
    topLevel: [],
    imports: [],
  }
  if (functions.length > 0 || fileLevel)
    collectUnits(programPath, code, result)
  claimDirectiveBindings(result)
  return result
}

function parseOrReport(id: string, code: string, displayId: string): t.File {
  try {
    return parseModule(id, code)
  }
  catch (error: any) {
    // Not ours to report: the bundler's own parser will say the same with more context.
    if (error?.loc)
      throw new FemtoUsageError(`could not parse this module: ${String(error.message).replace(/\s*\(\d+:\d+\)$/, '')}`, id, code, { line: error.loc.line, column: error.loc.column }, displayId)
    throw error
  }
}

/** After the directive prologue and any hashbang: where generated imports go. */
function importPosition(program: t.Program): number {
  const lastDirective = program.directives.at(-1)
  return lastDirective ? lastDirective.end! : (program.interpreter ? program.interpreter.end! : 0)
}
