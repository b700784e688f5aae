import type { FunctionLocation } from '../../src/core/schema/derive'
import type { FunctionSchema } from '../../src/core/schema/types'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { deriveSchemasFromProgram } from '../../src/core/schema/derive'
import { clearDeclarationCache, createSchemaProgram } from '../../src/core/schema/ts-program'

export interface SchemaTiming {
  /** Creating the program and its checker: parsing and binding the libs and the modules. */
  programMs: number
  /** Deriving the schemas of every function once the program exists. */
  deriveMs: number
  perFunctionMs: number
  totalMs: number
}

export interface SchemaMeasurement {
  functions: number
  files: number
  /** The first build of a process: every lib and declaration file is parsed. */
  cold: SchemaTiming
  /** A rebuild in the same process (watch mode): parsed declaration files are reused. */
  warm: SchemaTiming
  warnings: number
}

const FUNCTIONS_PER_FILE = 10

const SHARED_TYPES = `export interface Query {
  /** Text to look for. */
  text: string
  filters?: { tags: string[], since?: Date }
  sort: 'asc' | 'desc'
}

export interface Page<T> {
  items: T[]
  next: string | null
}

export enum Status { Draft = 'draft', Live = 'live' }

${Array.from({ length: 5 }, (_, i) => `export interface Result${i} {
  id: string
  score: number
  status: Status
  labels: Record<string, string>
  children?: Result${i}[]
}`).join('\n\n')}
`

/**
 * Times `deriveSchemas` over generated projects of `count` femto functions (ten per module,
 * sharing a module of types), split into creating the program and deriving the functions, for
 * a first build and for a rebuild in the same process.
 */
export async function measureSchemaDerivation({ counts }: { counts: number[] }): Promise<SchemaMeasurement[]> {
  const measurements: SchemaMeasurement[] = []
  for (const count of counts) {
    const dir = await mkdtemp(join(tmpdir(), 'femto-schema-'))
    try {
      const { files, functions } = await writeProject(dir, count)
      clearDeclarationCache()
      const cold = timeDerivation(files, functions, dir)
      const warm = timeDerivation(files, functions, dir)
      measurements.push({
        functions: count,
        files: files.length,
        cold: cold.timing,
        warm: warm.timing,
        warnings: [...cold.schemas.values()].reduce((sum, schema) => sum + schema.warnings.length, 0),
      })
    }
    finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
  return measurements
}

function timeDerivation(files: string[], functions: FunctionLocation[], root: string): { timing: SchemaTiming, schemas: Map<string, FunctionSchema> } {
  const started = performance.now()
  const program = createSchemaProgram(files, root)
  program.getTypeChecker()
  const programmed = performance.now()
  const schemas = deriveSchemasFromProgram(program, functions)
  const derived = performance.now()
  const timing = {
    programMs: round(programmed - started),
    deriveMs: round(derived - programmed),
    perFunctionMs: round((derived - programmed) / Math.max(functions.length, 1)),
    totalMs: round(derived - started),
  }
  return { timing, schemas }
}

async function writeProject(dir: string, count: number): Promise<{ files: string[], functions: FunctionLocation[] }> {
  await writeFile(join(dir, 'types.ts'), SHARED_TYPES)
  const files: string[] = []
  const functions: FunctionLocation[] = []
  for (let first = 0; first < count; first += FUNCTIONS_PER_FILE) {
    const file = join(dir, `module${files.length}.ts`)
    const lines = [`import type { Page, Query, ${Array.from({ length: 5 }, (_, i) => `Result${i}`).join(', ')} } from '../../src/core/schema/types'`, '']
    for (let i = first; i < Math.min(count, first + FUNCTIONS_PER_FILE); i++) {
      lines.push(`/** Function ${i}. */`)
      functions.push({ name: `fn${i}`, file, line: lines.length + 1, column: 'export '.length })
      lines.push(
        `export async function fn${i}(query: Query, page = 1, ...tags: string[]): Promise<Page<Result${i % 5}>> {`,
        `  'use femto'`,
        `  return { items: [], next: query.text + page + tags.length }`,
        `}`,
        '',
      )
    }
    await writeFile(file, lines.join('\n'))
    files.push(file)
  }
  return { files, functions }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
