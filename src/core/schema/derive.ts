import type ts from 'typescript'
import type { Dependencies } from './dependencies'
import type { FunctionSchema } from './types'
import { keepCompiledCode } from './compile-cache'
import { DependencyRecorder } from './dependencies'
import { deriveFunctionSchema } from './derive-function'
import { DefNames } from './derive-names'
import { TypeSchemaWriter } from './derive-type'
import { nameMissingDeclaration, nodeModuleNamed } from './ts-libs'
import { findFunctionAt } from './ts-locate'
import { createSchemaProgram, leavesOutNodeTypes } from './ts-program'

/** A femto function by its service name and the position of its function node as Babel reports it. */
export interface FunctionLocation {
  name: string
  /** Absolute path. */
  file: string
  /** 1-based. */
  line: number
  /** 0-based. */
  column: number
}

export interface SchemaRequest {
  /** Absolute paths of the modules holding femto functions. */
  files: string[]
  functions: FunctionLocation[]
  /** Where to look for `tsconfig.json` (and up from there); defaults to the first file's directory. */
  root?: string
}

/**
 * Derives the JSON Schema of each femto function's parameters and result from its TypeScript
 * types, keyed by service name. One program serves every function of the build. A type that
 * cannot be expressed gives `{}` and a warning; nothing here throws because of user code.
 */
export function deriveSchemas(request: SchemaRequest): Map<string, FunctionSchema> {
  return deriveSchemasWithProgram(request).schemas
}

/**
 * {@link deriveSchemas}, and what the result depends on on the disk (for the schema cache).
 * `early`: the first program, made for the same roots before the request was known
 * (fresh-schemas.ts), with the recorder that saw it read.
 */
export function deriveSchemasWithDependencies(request: SchemaRequest, early?: FirstProgram): { schemas: Map<string, FunctionSchema>, dependencies: Dependencies } {
  const recorder = early?.recorder ?? new DependencyRecorder()
  const { schemas } = deriveSchemasWithProgram(request, recorder, early?.program)
  return { schemas, dependencies: recorder.result() }
}

/** A request's first program (`server` libs), made before its functions' places were known. */
export interface FirstProgram { program: ts.Program, recorder?: DependencyRecorder }

/**
 * The first program {@link deriveSchemasWithProgram} makes for modules `files`, with its checker
 * (binding the globals is most of a checker's start): everything of a derivation that its
 * functions' places are not needed for.
 */
export function firstProgram(files: string[], root: string | undefined, recorder?: DependencyRecorder): FirstProgram {
  const program = createSchemaProgram(files, root, recorder, 'server')
  program.getTypeChecker()
  return { program, recorder }
}

/** The roots of the programs made for `request`, in order. */
export function rootsOf(request: SchemaRequest): string[] {
  return [...new Set([...request.files, ...request.functions.map(fn => fn.file)])]
}

/**
 * {@link deriveSchemas}, and the program the schemas come from. It starts without the browser's
 * libs and without Node's types, and starts again with more whenever the result could differ:
 * with Node's types (the `server-node` program) when the first program met a name or a module
 * only they may declare, then with the browser's libs and every `@types` package (`full`) when
 * a type names something neither declares. Every program it made reads the disk through
 * `recorder`: the schemas depend on what told the first ones apart too.
 */
export function deriveSchemasWithProgram(request: SchemaRequest, recorder?: DependencyRecorder, first?: ts.Program): { program: ts.Program, schemas: Map<string, FunctionSchema> } {
  const derived = programAndSchemas(request, recorder, first)
  // TypeScript's code cache, written again once a program has run (compile-cache.ts).
  keepCompiledCode()
  return derived
}

function programAndSchemas(request: SchemaRequest, recorder?: DependencyRecorder, first?: ts.Program): { program: ts.Program, schemas: Map<string, FunctionSchema> } {
  const roots = rootsOf(request)
  let program = first ?? createSchemaProgram(roots, request.root, recorder, 'server')
  if (leavesOutNodeTypes(program)) {
    if (nameMissingDeclaration(program) === undefined && nodeModuleNamed(program) === undefined) {
      const { schemas, doubtful } = deriveAll(program, request.functions)
      if (!doubtful)
        return { program, schemas }
    }
    program = createSchemaProgram(roots, request.root, recorder, 'server-node')
  }
  if (nameMissingDeclaration(program) !== undefined)
    program = createSchemaProgram(roots, request.root, recorder, 'full')
  return { program, schemas: deriveAll(program, request.functions).schemas }
}

export function deriveSchemasFromProgram(program: ts.Program, functions: FunctionLocation[]): Map<string, FunctionSchema> {
  return deriveAll(program, functions).schemas
}

/**
 * `doubtful`: a type written was one the checker could not resolve, or a derivation failed: a
 * program with more declarations might have given another schema.
 */
function deriveAll(program: ts.Program, functions: FunctionLocation[]): { schemas: Map<string, FunctionSchema>, doubtful: boolean } {
  const checker = program.getTypeChecker()
  const names = new DefNames()
  let doubtful = false
  const schemas = new Map(functions.map((fn) => {
    const derived = deriveOne(program, checker, names, fn)
    doubtful ||= derived.doubtful
    return [fn.name, derived.schema]
  }))
  return { schemas, doubtful }
}

function deriveOne(program: ts.Program, checker: ts.TypeChecker, names: DefNames, fn: FunctionLocation): { schema: FunctionSchema, doubtful: boolean } {
  let problem: string
  let doubtful = false
  try {
    const source = program.getSourceFile(fn.file)
    const node = source && findFunctionAt(source, fn.line, fn.column)
    if (node) {
      const writer = new TypeSchemaWriter(program, checker, names)
      const schema = deriveFunctionSchema(node, writer, checker)
      return { schema, doubtful: writer.metErrorType }
    }
    problem = source ? `no function found at ${fn.line}:${fn.column}` : 'its module is not part of the TypeScript program'
  }
  catch (error) {
    problem = `could not derive its schema (${error instanceof Error ? error.message : String(error)})`
    doubtful = true
  }
  const schema = {
    params: [],
    result: {},
    defs: {},
    warnings: [{ file: fn.file, line: fn.line, column: fn.column, message: `function '${fn.name}': ${problem}; its arguments and result are not checked` }],
  }
  return { schema, doubtful }
}

export type { FunctionSchema, JsonSchema, ParamSchema, SchemaWarning } from './types'
