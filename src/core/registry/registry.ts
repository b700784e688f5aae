import type { FemtoFunction, ModuleAnalysis } from '../transform/analyze'
import type { AnalysisThread } from './analysis-thread'
import type { ResolvedOptions } from './options'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { relative } from 'node:path'
import picomatch from 'picomatch'
import { rememberShape } from '../schema/source-shape'
import { upperSnake } from '../transform/names'
import { mayHaveDirective } from '../transform/precheck'

type Engine = typeof import('../transform/engine')
let engine: Promise<Engine> | undefined
/** Babel alone costs ~400 ms to load: it loads with the first module that holds the directive and is not in the analysis cache (analysis-cache.ts). */
export function loadEngine(): Promise<Engine> {
  if (!engine) {
    loadBabel()
    engine = import('../transform/engine')
  }
  return engine
}

/**
 * Babel's packages, loaded here at once rather than by the engine's import: while Node's source
 * maps are on (Vite's module runner turns them on in `vite dev`), Node reads and parses the map
 * of each of Babel's ~200 files as it compiles them (~80 ms of a dev-server edit after a warm
 * start, in a profile), and Babel's own stack frames need none. Off for these requires only,
 * which run without a pause, so no other module is compiled meanwhile.
 */
function loadBabel(): void {
  const mapped = process.sourceMapsEnabled
  if (mapped)
    process.setSourceMapsEnabled(false)
  try {
    const require = createRequire(import.meta.url)
    for (const name of ['@babel/parser', '@babel/traverse', '@babel/code-frame'])
      require(name)
  }
  finally {
    if (mapped)
      process.setSourceMapsEnabled(true)
  }
}
let analysisCache: Promise<typeof import('./analysis-cache')> | undefined
/** With the first module that holds the directive too (it loads devalue): a project without it never does. */
const loadAnalysisCache = (): Promise<typeof import('./analysis-cache')> => (analysisCache ??= import('./analysis-cache'))

export interface RegisteredFunction extends FemtoFunction {
  /** Absolute path of the module that declares it. */
  id: string
  /** The same, relative to the project root, as users read it. */
  file: string
  /** `POST {basePath}/{name}`: the one place a function's route is made. */
  route: string
  /** The contract from the signature's source text, used where no schema could be derived. */
  sourceContract: string
}

/** A module's analysis, with its functions as the registry holds them. */
export type RegisteredAnalysis = ModuleAnalysis<RegisteredFunction>

/**
 * Which femto functions the project has, from the modules analysed so far (and the scan of
 * `include`), with each name unique across the project.
 */
export function createRegistry(options: ResolvedOptions, root: () => string) {
  const analyses = new Map<string, { code: string, analysis: RegisteredAnalysis }>()
  // `vite dev`: analyses on a worker thread (analysis-thread.ts).
  let thread: AnalysisThread | undefined
  const functions = new Map<string, RegisteredFunction>()
  // Names become file names (which may be case-insensitive) and FEMTO_URL_<NAME> variables.
  const byFoldedName = new Map<string, RegisteredFunction>()
  const byEnv = new Map<string, RegisteredFunction>()

  /** A path as users read it: from the project root. */
  const display = (id: string): string => relative(root(), id).replace(/\\/g, '/') || id
  let excluded: ((path: string) => boolean) | undefined
  /** Outside `exclude`: the scan skips it and no transform touches it. */
  const isExcluded = (id: string): boolean => (excluded ??= picomatch(options.exclude, { dot: true }))(display(id.replace(/\?.*$/, '')))

  /** Analyses a module (once per text) and registers what it declares now, forgetting what it no longer does. */
  async function analyze(id: string, code: string, whileWaiting?: () => void): Promise<RegisteredAnalysis> {
    const cached = analyses.get(id)
    if (cached && cached.code === code)
      return cached.analysis
    const displayId = display(id)
    const cache = options.cache ? await loadAnalysisCache() : undefined
    let analysis = cache?.readCachedAnalysis(root(), id, code, displayId)
    if (!analysis) {
      const analysed = thread?.analyze(id, code, displayId)
      if (analysed)
        whileWaiting?.()
      analysis = await analysed ?? (await loadEngine()).analyzeModule(id, code, { displayId })
      cache?.writeCachedAnalysis(root(), id, code, displayId, analysis)
    }
    const registered = { ...analysis, functions: await register(id, code, analysis) }
    analyses.set(id, { code, analysis: registered })
    return registered
  }

  async function register(id: string, code: string, analysis: ModuleAnalysis): Promise<RegisteredFunction[]> {
    for (const [name, fn] of functions) {
      if (fn.id === id) {
        functions.delete(name)
        byFoldedName.delete(name.toLowerCase())
        byEnv.delete(upperSnake(name))
      }
    }
    const registered: RegisteredFunction[] = []
    for (const fn of analysis.functions) {
      const where = (other: RegisteredFunction): string => `${other.file}:${other.line}:${other.column + 1}`
      const same = functions.get(fn.name)
      const folded = byFoldedName.get(fn.name.toLowerCase())
      const env = upperSnake(fn.name)
      const sharing = byEnv.get(env)
      const reason = same
        ? `two femto functions are named '${fn.name}': this one and the one at ${where(same)}. Service names must be unique across the project`
        : folded
          ? `'${fn.name}' and '${folded.name}' (at ${where(folded)}) differ only in case, so their service files would collide on a case-insensitive disk`
          : sharing ? `'${fn.name}' and '${sharing.name}' (at ${where(sharing)}) would share the variable FEMTO_URL_${env}` : undefined
      if (reason) {
        // The error's code frame needs Babel's, which a build served from the analysis cache has not loaded.
        const { FemtoUsageError } = await loadEngine()
        throw new FemtoUsageError(`${reason}; export one under another name, e.g. \`export { ${fn.localName ?? fn.name} as ${fn.name}2 }\``, id, code, { line: fn.line, column: fn.column }, display(id))
      }
      const one: RegisteredFunction = { ...fn, id, file: display(id), route: `${options.basePath}/${fn.name}`, sourceContract: fn.contract }
      functions.set(fn.name, one)
      byFoldedName.set(fn.name.toLowerCase(), one)
      byEnv.set(env, one)
      registered.push(one)
    }
    return registered
  }

  async function includedFiles(): Promise<string[]> {
    const { glob } = await import('tinyglobby')
    return (await glob(options.include, { cwd: root(), ignore: options.exclude, absolute: true })).sort()
  }

  // The files `hasDirective` found, for the scan that follows it in the same build (the first
  // one only: a later scan may see other files), so that a build reads `include` once.
  let withDirective: string[] | undefined

  /**
   * Finds every femto function under `include`, whether or not any other code imports it.
   * `whileWaiting`: work for this thread while the analysis thread analyses a module the cache
   * did not hold (a cold start's).
   */
  async function scan(whileWaiting?: () => void): Promise<void> {
    const listed = withDirective
    withDirective = undefined
    for (const file of listed ?? await includedFiles()) {
      // Synchronous on purpose: for many small files it is ~10x faster than fs.promises here.
      const code = readFileSync(file, 'utf8')
      if (mayHaveDirective(code))
        await analyze(file, code, whileWaiting)
    }
  }

  /**
   * Whether any module under `include` holds the directive, by its text alone: a build that has
   * none must cost what a build without the plugin costs, so Vite's skips the services' environment.
   */
  async function hasDirective(): Promise<boolean> {
    withDirective = undefined
    return (await directiveFiles()).length > 0
  }

  /** The modules under `include` whose text holds the directive, as the coming scan will take them. */
  async function directiveFiles(): Promise<string[]> {
    withDirective ??= (await includedFiles()).filter(file => mayHaveDirective(readFileSync(file, 'utf8')))
    return withDirective
  }

  /** `vite dev` analyses on this thread from now on (and in its own when it answers nothing). */
  const analyzeOn = (worker: AnalysisThread | undefined): void => {
    thread = worker
  }

  /**
   * `vite dev`: an edited module's schema shape, made on the analysis thread, so that the schema
   * cache's check of the edit finds it made (source-shape.ts). Without the thread, the check makes it.
   */
  async function learnShape(id: string, code: string): Promise<void> {
    const shape = await thread?.shape(id, code)
    if (shape !== undefined)
      rememberShape(id, code, shape ?? undefined)
  }

  return { functions, display, isExcluded, analyze, analyzeOn, learnShape, scan, hasDirective, directiveFiles }
}
