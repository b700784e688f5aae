import type { SchemaRequest } from '../schema/derive'
import type { FunctionSchema } from '../schema/types'
import type { RegisteredFunction } from './registry'
import type { TypesThread } from './types-thread'
import { assertInternal } from '../transform/errors'

const MAX_WARNINGS = 5

/**
 * The builds whose early thread this process started, by root and modules: Vite resolves a
 * build's config again for each environment, each time with a new instance of the plugin whose
 * `config` hook runs, and only the first instance builds. One thread per build, not per instance.
 */
const startedEarly = new Set<string>()

interface ScheduleOptions {
  /** The `types` option: derive schemas at all. */
  types: boolean
  /** The `cache` option: keep derived schemas under `node_modules/.cache/unplugin-femto` between builds. */
  cache: boolean
  root: () => string
  display: (file: string) => string
}

/**
 * When the functions' TypeScript types become schemas, and so their contracts: in one program
 * for every function that has none yet, one derivation at a time, so that two transforms finding
 * new functions at once do not derive them twice.
 */
export function createTypesSchedule(functions: ReadonlyMap<string, RegisteredFunction>, options: ScheduleOptions) {
  // Keyed by the registered function: one registered again (its module changed) has none until derived again.
  let schemas = new WeakMap<RegisteredFunction, FunctionSchema>()
  let deriving: Promise<void> = Promise.resolve()
  // TypeScript loaded and its libs parsed in this process (see warmUp).
  let warmed = false
  // The build's scan and first derivation, failed or not: stub transforms wait for it.
  let prepared: Promise<void> = Promise.resolve()
  // `vite dev`: starts the types thread (types-thread.ts), which makes every program after a
  // start the schema cache served, as long as this thread has made none.
  let startThread: (() => Promise<TypesThread | undefined>) | undefined
  let thread: Promise<TypesThread | undefined> | undefined
  let servedFromCache = false
  let derivedHere = false
  // A one-off build's thread, started before its scan (`early`): ended when its modules are transformed (`endEarly`).
  let releaseEarly: (() => void) | undefined

  function derive(): Promise<void> {
    deriving = deriving.then(deriveMissing, deriveMissing)
    return deriving
  }

  /** Types it cannot express are warned about; a usable schema becomes the function's contract. */
  async function deriveMissing(): Promise<void> {
    const missing = options.types ? [...functions.values()].filter(fn => !schemas.has(fn)) : []
    if (missing.length === 0)
      return
    const { isUsableSchema, schemaContract } = await import('../schema/contract')
    const derived = await schemasOf({
      files: [...new Set(missing.map(fn => fn.id))],
      functions: missing.map(fn => ({ name: fn.name, file: fn.id, line: fn.line, column: fn.column })),
      root: options.root(),
    })
    for (const fn of missing) {
      const schema = derived.get(fn.name)
      assertInternal(schema, `a schema is derived for every function asked ('${fn.name}')`)
      // A signature the services cannot carry (bytes inside an object, FormData beside other parameters): not kept, so it is said again until fixed.
      const [error] = schema.errors ?? []
      if (error) {
        const [{ FemtoUsageError }, { readFileSync }] = await Promise.all([import('../transform/usage-error'), import('node:fs')])
        throw new FemtoUsageError(error.message, error.file, readFileSync(error.file, 'utf8'), { line: error.line, column: error.column }, options.display(error.file))
      }
      schemas.set(fn, schema)
      // A parameter typed with something huge (`typeof globalThis`) would print thousands.
      for (const warning of schema.warnings.slice(0, MAX_WARNINGS))
        console.warn(`[unplugin-femto] ${options.display(warning.file)}:${warning.line}:${warning.column + 1}: ${warning.message}`)
      if (schema.warnings.length > MAX_WARNINGS)
        console.warn(`[unplugin-femto] … and ${schema.warnings.length - MAX_WARNINGS} more types of '${fn.name}' that accept any value`)
      if (isUsableSchema(schema, fn.params.length))
        fn.contract = schemaContract(fn.name, fn.stream, schema)
    }
  }

  /**
   * From the schema cache when nothing they depend on changed (TypeScript is then not even
   * loaded), else from a new program, whose result the cache keeps for the next build.
   */
  async function schemasOf(request: SchemaRequest & { root: string }): Promise<Map<string, FunctionSchema>> {
    const cache = options.cache ? await import('../schema/cache') : undefined
    const cached = cache?.readCachedSchemas(request.root, request)
    if (cached) {
      servedFromCache = true
      return cached.schemas
    }
    return newSchemas(request, options.cache)
  }

  /**
   * A new program's schemas, kept in the cache when `keep`: on the types thread when programs
   * are made there, which also writes the cache entry; else, or if it fails there (to throw its
   * error), in this thread.
   */
  async function newSchemas(request: SchemaRequest & { root: string }, keep: boolean): Promise<Map<string, FunctionSchema>> {
    // A program was made: TypeScript's libs are parsed, there is nothing to warm up.
    warmed = true
    const derived = await (await typesThread())?.derive(request, keep)
    if (derived)
      return derived
    derivedHere = true
    return (await import('../schema/fresh-schemas')).freshSchemas(request, keep)
  }

  /**
   * The types thread, when programs are made there: a cold build's (`early`), or `vite dev`'s
   * after a start the cache served. A cold dev start derives in this thread: made on the thread,
   * its first answer came no sooner (two cores: a third busy thread slowed the scan), see design
   * 0046. Its libs stay parsed where its first program parsed them, so the programs of its edits
   * stay here too.
   */
  function typesThread(): Promise<TypesThread | undefined> | undefined {
    if (derivedHere)
      return undefined
    return thread ?? (!servedFromCache || !startThread ? undefined : (thread = startThread()))
  }

  /**
   * A build's first program on a thread of its own, made for the modules that hold the directive
   * as soon as they are known: TypeScript loads and parses its libs and those modules on the
   * other core, while this thread starts the bundler and analyses the modules (Babel), which a
   * cold build otherwise did before it (design 0054). Not when the schema cache likely holds the
   * schemas (a rebuild), nor when a program was made or a thread started already. `keep`: the
   * thread stays for the programs of later rebuilds (watch mode), which find the libs parsed.
   */
  async function early(files: string[], start: () => Promise<TypesThread | undefined>, keep: boolean): Promise<void> {
    if (!options.types || files.length === 0 || thread || derivedHere || warmed)
      return
    const root = options.root()
    const key = JSON.stringify([root, files])
    if (startedEarly.has(key))
      return
    startedEarly.add(key)
    if (options.cache && (await import('../schema/cache')).entryLikelyHolds(root, files)) {
      startedEarly.delete(key)
      return
    }
    releaseEarly = keep ? undefined : () => startedEarly.delete(key)
    thread = start().then((worker) => {
      worker?.prepare(files, root, options.cache)
      return worker
    })
  }

  /**
   * When a one-off build's modules are all transformed: what the thread holds (TypeScript, the
   * libs) goes before the services are built, rather than adding to their peak. Any later
   * program of the process is made in this thread.
   */
  function endEarly(): void {
    if (!releaseEarly)
      return
    releaseEarly()
    releaseEarly = undefined
    const done = thread
    thread = undefined
    void done?.then(worker => worker?.close())
  }

  /**
   * After a start served from the cache, TypeScript is not loaded: the first edit would pay for
   * loading it and parsing its libs (~1 s). This pays for it once, when asked (the dev server,
   * after its first answer), by deriving what the cache served; the libs stay parsed for the
   * program of the next edit. On the types thread, nothing of it holds the dev server's thread.
   */
  function warmUp(): Promise<void> {
    if (warmed || !options.types)
      return Promise.resolve()
    warmed = true
    deriving = deriving.then(warmProgram, warmProgram)
    return deriving
  }

  async function warmProgram(): Promise<void> {
    const all = [...functions.values()]
    if (all.length === 0)
      return
    const request = {
      files: [...new Set(all.map(fn => fn.id))],
      functions: all.map(fn => ({ name: fn.name, file: fn.id, line: fn.line, column: fn.column })),
      root: options.root(),
    }
    await newSchemas(request, false)
  }

  /** Every schema is derived again when next needed, from the types as they are now. */
  function reset(): void {
    schemas = new WeakMap()
    for (const fn of functions.values())
      fn.contract = fn.sourceContract
  }

  return {
    derive,
    reset,
    warmUp,
    /** `vite dev`: how to start its types thread, if a program is to be made there. */
    deriveOn(start: () => Promise<TypesThread | undefined>): void {
      startThread = start
    },
    early,
    endEarly,
    /** Stops the types thread, if it was started. */
    async close(): Promise<void> {
      await (await thread)?.close()
    },
    /** Build start: `scan`, then a derivation of everything it found. */
    prepare(scan: (whileWaiting?: () => void) => Promise<void>): Promise<void> {
      reset()
      // `vite dev`'s cold start: TypeScript (~250 ms) loads while the analysis thread analyses,
      // rather than after it; a start the analysis cache serves never loads it before the first answer.
      let loading: Promise<unknown> | undefined
      const ready = scan(options.types ? () => (loading ??= import('../schema/derive').catch(() => {})) : undefined).then(derive)
      prepared = ready.catch(() => {})
      return ready
    },
    /** The build's scan and first derivation, done or failed. */
    settled: (): Promise<void> => prepared,
    /** Derives the types of functions a module brought that have no schema yet. */
    async deriveFor(found: RegisteredFunction[]): Promise<void> {
      if (options.types && found.some(fn => !schemas.has(fn)))
        await derive()
    },
    schemaOf: (name: string): FunctionSchema | undefined => {
      const fn = functions.get(name)
      return fn && schemas.get(fn)
    },
  }
}
