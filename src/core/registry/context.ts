import type { StubMeta } from '../../runtime/shared/protocol'
import type { FunctionSchema } from '../schema/types'
import type { FemtoFunction, ModuleAnalysis } from '../transform/analyze'
import type { TransformResult } from '../transform/transform'
import type { Options, ResolvedOptions } from './options'
import { readFileSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import picomatch from 'picomatch'
import { upperSnake } from '../transform/names'
import { mayHaveDirective } from '../transform/precheck'
import { resolveOptions } from './options'
import { stubPolicyOf } from './policy'
import { assignPorts } from './ports'

type Engine = typeof import('../transform/engine')
const MAX_WARNINGS = 5
let engine: Promise<Engine> | undefined
const loadEngine = (): Promise<Engine> => (engine ??= import('../transform/engine'))

export interface RegisteredFunction extends FemtoFunction {
  /** Absolute path of the module that declares it. */
  id: string
  /** The same, relative to the project root, as users read it. */
  file: string
  route: string
  /** The contract from the signature's source text, used where no schema could be derived. */
  sourceContract: string
}

export interface ServiceUnit {
  /** Service name: the function's in split mode, `monolith` in monolith mode. */
  name: string
  /** File name under the servers folder. */
  file: string
  port: number
  functions: RegisteredFunction[]
}

export interface Plan {
  services: ServiceUnit[]
  functions: RegisteredFunction[]
  serviceOf: Map<string, ServiceUnit>
}

export type FemtoContext = ReturnType<typeof createContext>

/**
 * State of one plugin instance: which femto functions exist, where, and how each side of the
 * build sees their modules. Knows no bundler.
 */
export function createContext(rawOptions: Options | undefined) {
  const options: ResolvedOptions = resolveOptions(rawOptions)
  let root = resolve(options.root ?? process.cwd())
  const analyses = new Map<string, { code: string, analysis: ModuleAnalysis }>()
  const registry = new Map<string, RegisteredFunction>()
  const byFoldedName = new Map<string, RegisteredFunction>()
  const byEnv = new Map<string, RegisteredFunction>()

  // Derived from TypeScript at build start (`types` option), keyed by function name.
  const schemas = new Map<string, FunctionSchema>()
  let typesDerived: Promise<void> = Promise.resolve()

  const display = (id: string): string => relative(root, id).replace(/\\/g, '/') || id
  let excluded: ((path: string) => boolean) | undefined
  /** Outside `exclude`: the scan skips it and no transform touches it. */
  const isExcluded = (id: string): boolean => (excluded ??= picomatch(options.exclude, { dot: true }))(display(id.replace(/\?.*$/, '')))

  async function analyze(id: string, code: string): Promise<ModuleAnalysis> {
    const cached = analyses.get(id)
    if (cached && cached.code === code)
      return cached.analysis
    const { analyzeModule, FemtoUsageError } = await loadEngine()
    const analysis = analyzeModule(id, code, { displayId: display(id) })
    register(id, code, analysis, FemtoUsageError)
    analyses.set(id, { code, analysis })
    return analysis
  }

  function register(id: string, code: string, analysis: ModuleAnalysis, FemtoUsageError: Engine['FemtoUsageError']): void {
    for (const [name, fn] of registry) {
      if (fn.id === id) {
        registry.delete(name)
        schemas.delete(name)
        byFoldedName.delete(name.toLowerCase())
        byEnv.delete(upperSnake(name))
      }
    }
    for (const fn of analysis.functions) {
      const fail = (reason: string): never => {
        throw new FemtoUsageError(`${reason}; export one under another name, e.g. \`export { ${fn.localName ?? fn.name} as ${fn.name}2 }\``, id, code, { line: fn.line, column: fn.column }, display(id))
      }
      const where = (other: RegisteredFunction): string => `${other.file}:${other.line}:${other.column + 1}`
      const same = registry.get(fn.name)
      if (same)
        fail(`two femto functions are named '${fn.name}': this one and the one at ${where(same)}. Service names must be unique across the project`)
      // Names become file names (which may be case-insensitive) and FEMTO_URL_<NAME> variables.
      const folded = byFoldedName.get(fn.name.toLowerCase())
      if (folded)
        fail(`'${fn.name}' and '${folded.name}' (at ${where(folded)}) differ only in case, so their service files would collide on a case-insensitive disk`)
      const env = upperSnake(fn.name)
      const sharing = byEnv.get(env)
      if (sharing)
        fail(`'${fn.name}' and '${sharing.name}' (at ${where(sharing)}) would share the variable FEMTO_URL_${env}`)
      const registered = { ...fn, id, file: display(id), route: `${options.basePath}/${fn.name}`, sourceContract: fn.contract }
      registry.set(fn.name, registered)
      byFoldedName.set(fn.name.toLowerCase(), registered)
      byEnv.set(env, registered)
    }
  }

  /** Finds every femto function under `include`, whether or not any other code imports it. */
  async function scan(): Promise<void> {
    const { glob } = await import('tinyglobby')
    const files = await glob(options.include, { cwd: root, ignore: options.exclude, absolute: true })
    for (const file of files.sort()) {
      // Synchronous on purpose: for many small files it is ~10x faster than fs.promises here.
      const code = readFileSync(file, 'utf8')
      if (mayHaveDirective(code))
        await analyze(file, code)
    }
  }

  /**
   * Derives the schema of every registered function that has none yet, in one TypeScript
   * program, and makes it the function's contract. Types it cannot express are warned about.
   */
  let deriving: Promise<void> = Promise.resolve()
  // One derivation at a time: two transforms finding new functions at once must not derive them twice.
  function deriveTypes(): Promise<void> {
    deriving = deriving.then(deriveMissing, deriveMissing)
    return deriving
  }

  async function deriveMissing(): Promise<void> {
    const missing = options.types ? [...registry.values()].filter(fn => !schemas.has(fn.name)) : []
    if (missing.length === 0)
      return
    const { deriveSchemas } = await import('../schema/derive')
    const { isUsableSchema, schemaContract } = await import('../schema/contract')
    const derived = deriveSchemas({
      files: [...new Set(missing.map(fn => fn.id))],
      functions: missing.map(fn => ({ name: fn.name, file: fn.id, line: fn.line, column: fn.column })),
      root,
    })
    for (const [name, schema] of derived) {
      schemas.set(name, schema)
      // A parameter typed with something huge (`typeof globalThis`) would print thousands.
      for (const warning of schema.warnings.slice(0, MAX_WARNINGS))
        console.warn(`[unplugin-femto] ${display(warning.file)}:${warning.line}:${warning.column + 1}: ${warning.message}`)
      if (schema.warnings.length > MAX_WARNINGS)
        console.warn(`[unplugin-femto] … and ${schema.warnings.length - MAX_WARNINGS} more types of '${name}' that accept any value`)
      const fn = registry.get(name)
      if (fn && isUsableSchema(schema, fn.params.length))
        fn.contract = schemaContract(name, fn.stream, schema)
    }
  }

  /** Build start: find every function, then derive their types (stub transforms wait for both). */
  function prepare(): Promise<void> {
    schemas.clear()
    for (const fn of registry.values())
      fn.contract = fn.sourceContract
    const ready = scan().then(deriveTypes)
    typesDerived = ready.catch(() => {})
    return ready
  }

  /** Dev server: a type may have changed anywhere, so every schema is derived again when next needed. */
  function forgetSchemas(): void {
    schemas.clear()
    for (const fn of registry.values())
      fn.contract = fn.sourceContract
  }

  /** The contract stubs send: from the derived schema when there is one. */
  const contractOf = (fn: FemtoFunction): string => registry.get(fn.name)?.contract ?? fn.contract

  function plan(): Plan {
    const functions = [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    let services: ServiceUnit[]
    if (options.mode === 'monolith') {
      services = [{ name: 'monolith', file: 'monolith.js', port: options.basePort, functions }]
    }
    else {
      const grouped = new Map<string, RegisteredFunction[]>()
      for (const [group, members] of Object.entries(options.groups)) {
        const unknown = members.filter(name => !registry.has(name))
        if (unknown.length > 0)
          throw new Error(`[unplugin-femto] groups.${group}: no femto function is named ${unknown.map(n => `'${n}'`).join(', ')} (known: ${functions.map(f => f.name).join(', ')})`)
        const clash = registry.get(group)
        if (clash && !members.includes(group))
          throw new Error(`[unplugin-femto] groups.${group}: the group would share its name (and file, port, FEMTO_URL_ variable) with the function '${group}' at ${clash.file}; rename the group`)
        grouped.set(group, functions.filter(fn => members.includes(fn.name)))
      }
      const inGroup = new Set([...grouped.values()].flat().map(fn => fn.name))
      const units: [string, RegisteredFunction[]][] = [
        ...grouped.entries(),
        ...functions.filter(fn => !inGroup.has(fn.name)).map(fn => [fn.name, [fn]] as [string, RegisteredFunction[]]),
      ]
      const ports = assignPorts(units.map(([name]) => name), options.basePort)
      services = units
        .map(([name, members]) => ({ name, file: `${name}.js`, port: ports.get(name)!, functions: members }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    }
    const serviceOf = new Map<string, ServiceUnit>()
    for (const unit of services) {
      for (const fn of unit.functions)
        serviceOf.set(fn.name, unit)
    }
    return { services, functions, serviceOf }
  }

  /** Browser side: every femto function becomes a `fetch` stub. */
  /**
   * A stub's contract must be the one its service will have: functions this build had not seen
   * yet (outside `include`, or code another plugin changed) get their schema before any stub.
   */
  async function analyzeWithTypes(id: string, code: string): Promise<ModuleAnalysis> {
    await typesDerived
    const analysis = await analyze(id, code)
    if (options.types && analysis.functions.some(fn => !schemas.has(fn.name)))
      await deriveTypes()
    return analysis
  }

  async function transformForClient(id: string, code: string): Promise<TransformResult | undefined> {
    const analysis = await analyzeWithTypes(id, code)
    const { transformModule } = await loadEngine()
    return transformModule(code, analysis, {
      hosted: () => false,
      stub: { from: 'unplugin-femto/runtime', helper: 'callFemto', meta: fn => JSON.stringify({ name: fn.name, route: `${options.basePath}/${fn.name}`, contract: contractOf(fn), ...(fn.stream ? { stream: true } : {}), ...callerFacts(fn) }) },
    })
  }

  /**
   * Service side: functions of `hosted` keep their bodies; calls to any other femto function go
   * over HTTP to the service that hosts it.
   */
  async function transformForServer(id: string, code: string, hosted: Pick<ReadonlySet<string>, 'has'>, current: Plan | undefined): Promise<TransformResult | undefined> {
    const analysis = await analyzeWithTypes(id, code)
    const { transformModule } = await loadEngine()
    return transformModule(code, analysis, {
      sourcemap: false,
      hosted: fn => hosted.has(fn.name),
      stub: {
        from: 'unplugin-femto/runtime/server',
        helper: 'callService',
        meta: fn => serverMeta(fn, current),
      },
    })
  }

  /** What a stub needs for retries, deadlines and the breaker: the caller's half of the policy, and the service it goes to. */
  function callerFacts(fn: FemtoFunction): Pick<StubMeta, 'policy' | 'service'> {
    const policy = stubPolicyOf(options.policyOf(fn.name, fn.policy))
    const group = Object.entries(options.groups).find(([, members]) => members.includes(fn.name))?.[0]
    const service = options.mode === 'monolith' ? 'monolith' : group
    return { ...(policy ? { policy } : {}), ...(service ? { service } : {}) }
  }

  // One plan serves hundreds of bundles that each stub the same functions: compute each stub's facts once.
  const metaCache = new WeakMap<Plan | object, Map<string, string>>()
  const noPlan = {}
  function serverMeta(fn: FemtoFunction, current: Plan | undefined): string {
    const key = current ?? noPlan
    let cache = metaCache.get(key)
    if (!cache)
      metaCache.set(key, cache = new Map())
    let meta = cache.get(fn.name)
    if (meta === undefined) {
      const unit = current?.serviceOf.get(fn.name)
      meta = JSON.stringify({
        name: fn.name,
        route: `${options.basePath}/${fn.name}`,
        port: unit?.port ?? options.basePort,
        env: `FEMTO_URL_${upperSnake(unit?.name ?? fn.name)}`,
        contract: contractOf(fn),
        ...(fn.stream ? { stream: true } : {}),
        ...callerFacts(fn),
      })
      cache.set(fn.name, meta)
    }
    return meta
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
    registry,
    analyze,
    isExcluded,
    scan,
    prepare,
    deriveTypes,
    forgetSchemas,
    schemaOf: (name: string): FunctionSchema | undefined => schemas.get(name),
    plan,
    transformForClient,
    transformForServer,
  }
}
