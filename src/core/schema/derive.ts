import type ts from 'typescript'
import type { Dependencies } from './dependencies'
import type { FunctionSchema } from './types'
import { DependencyRecorder } from './dependencies'
import { deriveFunctionSchema } from './derive-function'
import { DefNames } from './derive-names'
import { TypeSchemaWriter } from './derive-type'
import { nameMissingDeclaration } from './ts-libs'
import { findFunctionAt } from './ts-locate'
import { createSchemaProgram } from './ts-program'

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
  return deriveSchemasFromProgram(schemaProgram(request), request.functions)
}

/** {@link deriveSchemas}, and what the result depends on on the disk (for the schema cache). */
export function deriveSchemasWithDependencies(request: SchemaRequest): { schemas: Map<string, FunctionSchema>, dependencies: Dependencies } {
  const recorder = new DependencyRecorder()
  const schemas = deriveSchemasFromProgram(schemaProgram(request, recorder), request.functions)
  return { schemas, dependencies: recorder.result() }
}

/** Without the browser's libs, unless the types name something only they declare. */
function schemaProgram(request: SchemaRequest, recorder?: DependencyRecorder): ts.Program {
  const program = createSchemaProgram(rootsOf(request), request.root, recorder, 'server')
  return nameMissingDeclaration(program) !== undefined ? createSchemaProgram(rootsOf(request), request.root, recorder, 'full') : program
}

function rootsOf(request: SchemaRequest): string[] {
  return [...new Set([...request.files, ...request.functions.map(fn => fn.file)])]
}

export function deriveSchemasFromProgram(program: ts.Program, functions: FunctionLocation[]): Map<string, FunctionSchema> {
  const checker = program.getTypeChecker()
  const names = new DefNames()
  return new Map(functions.map(fn => [fn.name, deriveOne(program, checker, names, fn)]))
}

function deriveOne(program: ts.Program, checker: ts.TypeChecker, names: DefNames, fn: FunctionLocation): FunctionSchema {
  let problem: string
  try {
    const source = program.getSourceFile(fn.file)
    const node = source && findFunctionAt(source, fn.line, fn.column)
    if (node)
      return deriveFunctionSchema(node, new TypeSchemaWriter(program, checker, names), checker)
    problem = source ? `no function found at ${fn.line}:${fn.column}` : 'its module is not part of the TypeScript program'
  }
  catch (error) {
    problem = `could not derive its schema (${error instanceof Error ? error.message : String(error)})`
  }
  return {
    params: [],
    result: {},
    defs: {},
    warnings: [{ file: fn.file, line: fn.line, column: fn.column, message: `function '${fn.name}': ${problem}; its arguments and result are not checked` }],
  }
}

export type { FunctionSchema, JsonSchema, ParamSchema, SchemaWarning } from './types'
