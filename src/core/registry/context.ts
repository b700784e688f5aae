import type { FunctionSchema } from '../schema/types'
import type { TransformResult } from '../transform/transform'
import type { Options, ResolvedOptions } from './options'
import type { Plan } from './plan'
import type { RegisteredAnalysis } from './registry'
import type { TypesThread } from './types-thread'
import { resolve } from 'node:path'
import { createClientImports } from './exposure'
import { resolveOptions } from './options'
import { planServices } from './plan'
import { createRegistry } from './registry'
import { createStubMeta } from './stub-meta'
import { createTypesSchedule } from './types-schedule'

let transform: Promise<typeof import('../transform/transform')> | undefined
/** Editing code (magic-string) loads with the first module that holds the directive: a project without it never does. */
const loadTransform = (): Promise<typeof import('../transform/transform')> => (transform ??= import('../transform/transform'))

/** The global a service's bundle defines as `true` for the functions it hosts, `false` for the others. */
export function hostedFlag(name: string): string {
  return `__FEMTO_HOSTED_${name}__`
}

export type FemtoContext = ReturnType<typeof createContext>

/**
 * State of one plugin instance: which femto functions exist, where, and how each side of the
 * build sees their modules. Knows no bundler.
 */
export function createContext(rawOptions: Options | undefined) {
  const options: ResolvedOptions = resolveOptions(rawOptions)
  let root = resolve(options.root ?? process.cwd())
  const registry = createRegistry(options, () => root)
  const types = createTypesSchedule(registry.functions, { types: options.types, cache: options.cache, root: () => root, display: registry.display })
  const stubMeta = createStubMeta(options)
  // What the app's own code imports: the public functions (exposure.ts).
  const clientImports = createClientImports()

  /**
   * A stub's contract must be the one its service will have: functions this build had not seen
   * yet (outside `include`, or code another plugin changed) get their schema before any stub.
   */
  async function analyzeWithTypes(id: string, code: string): Promise<RegisteredAnalysis> {
    await types.settled()
    const analysis = await registry.analyze(id, code)
    await types.deriveFor(analysis.functions)
    return analysis
  }

  /** Browser side: every femto function becomes a `fetch` stub. */
  async function transformForClient(id: string, code: string, scope?: string): Promise<TransformResult | undefined> {
    const analysis = await analyzeWithTypes(id, code)
    clientImports.record(id, analysis.functions.map(fn => fn.name), scope)
    return (await loadTransform()).transformModule(code, analysis, {
      hosted: () => false,
      // A bundler fills a map's sourcesContent from the first map it gets: ours, without the bodies.
      sourcesContent: false,
      stub: { from: 'unplugin-femto/runtime', helper: 'callFemto', meta: stubMeta.forClient },
    })
  }

  /**
   * The app's own server-side code (SSR): it reaches every function over HTTP, from outside the
   * services, as the browser does; what it imports is public too.
   */
  async function transformForAppServer(id: string, code: string, scope?: string): Promise<TransformResult | undefined> {
    const analysis = await analyzeWithTypes(id, code)
    clientImports.record(id, analysis.functions.map(fn => fn.name), scope)
    return transformForServer(id, code, new Set(), planServices(registry.functions, options))
  }

  /**
   * Service side: functions of `hosted` keep their bodies; calls to any other femto function go
   * over HTTP to the service that hosts it.
   */
  async function transformForServer(id: string, code: string, hosted: Pick<ReadonlySet<string>, 'has'>, current: Plan | undefined): Promise<TransformResult | undefined> {
    const analysis = await analyzeWithTypes(id, code)
    return (await loadTransform()).transformModule(code, analysis, {
      sourcemap: false,
      hosted: fn => hosted.has(fn.name),
      stub: { from: 'unplugin-femto/runtime/server', helper: 'callService', meta: fn => stubMeta.forServer(fn, current) },
    })
  }

  /**
   * Every service at once (Vite's one build of them all): each function keeps both sides behind
   * its `hostedFlag`, which each service's own bundle then defines.
   */
  async function transformForServices(id: string, code: string, current: Plan): Promise<TransformResult | undefined> {
    const analysis = await analyzeWithTypes(id, code)
    return (await loadTransform()).transformModule(code, analysis, {
      sourcemap: false,
      hosted: () => false,
      flag: fn => hostedFlag(fn.name),
      stub: { from: 'unplugin-femto/runtime/server', helper: 'callService', meta: fn => stubMeta.forServer(fn, current) },
    })
  }

  return {
    options,
    get root() {
      return root
    },
    /** Absolute path of the `auth` option's module, from the root. */
    get authModule(): string | undefined {
      return options.auth === undefined ? undefined : resolve(root, options.auth)
    },
    /** The bundler's root, unless the `root` option chose one. */
    setRoot(dir: string) {
      if (options.root === undefined)
        root = resolve(dir)
    },
    registry: registry.functions,
    analyze: registry.analyze,
    analyzeOn: registry.analyzeOn,
    deriveOn: types.deriveOn,
    closeTypesThread: types.close,
    learnShape: registry.learnShape,
    isExcluded: registry.isExcluded,
    scan: registry.scan,
    hasDirective: registry.hasDirective,
    /**
     * A build, before its scan: its first TypeScript program starts on a thread of its own
     * (types-schedule.ts's `early`). `keep`: the thread stays for the rebuilds of watch mode.
     */
    deriveEarly: async (start: () => Promise<TypesThread | undefined>, keep: boolean): Promise<void> => types.early(await registry.directiveFiles(), start, keep),
    /** A build's modules are transformed: its early thread ends, unless kept for watch mode. */
    endEarlyDerivation: types.endEarly,
    /** Build start: find every function, then derive their types (stub transforms wait for both). */
    prepare: (): Promise<void> => types.prepare(registry.scan),
    deriveTypes: types.derive,
    /** Dev server: a type may have changed anywhere, so every schema is derived again when next needed. */
    forgetSchemas: types.reset,
    /**
     * Dev server: loads TypeScript and parses its libs ahead of the first edit that changes a type
     * (after a start served from the schema cache, it is not loaded), on the types thread
     * (types-thread.ts) when there is one. Babel, for the edit's analysis, is loaded by the
     * analysis thread (analysis-thread.ts) or by the edit itself.
     */
    warmTypes: (): Promise<void> => types.warmUp(),
    schemaOf: (name: string): FunctionSchema | undefined => types.schemaOf(name),
    plan: (): Plan => planServices(registry.functions, options),
    /** Which functions the app's code imports (exposure.ts); a client build calls `begin` at its start. */
    clientImports,
    transformForClient,
    transformForAppServer,
    transformForServer,
    transformForServices,
  }
}
