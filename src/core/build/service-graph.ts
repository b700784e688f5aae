import type { OutputBundle, Plugin as RolldownPlugin } from 'rolldown'
import type { ServiceImport, TransformResult } from '../transform/transform'

/** The resolved id an import names, or null when nothing resolved it (the build reports that). */
export type ResolveImport = (source: string) => Promise<{ id: string, external?: boolean | string } | null>

// Where Vite's one build of every service is the build: the graph its plugin fills, by environment.
const graphs = new WeakMap<object, ServiceGraph>()

/**
 * Which modules each service loads, in Vite's one build of every service. The per-service
 * transform of the other bundlers drops an import that only other services' bodies used, so the
 * module it imports never loads there; one shared build keeps every import, and a flag can fold
 * a body away but not a module's load. So: each directive module's imports with the flags of the
 * functions that need them (the transform's `imports`), the module graph at the end of the build,
 * and, per service, the modules it reaches through the imports its functions need. Every other
 * module's file (the build keeps one file per module) is side-effect free in that service's pass,
 * which drops it unless the service uses what it exports.
 */
export class ServiceGraph {
  /** importer → imported module → the flags that need it; null: always. */
  private readonly needs = new Map<string, Map<string, Set<string> | null>>()
  private readonly imported = new Map<string, readonly string[]>()
  private readonly fileOf = new Map<string, string>()

  /** Attaches the graph to the environment whose build fills it (`graphPlugin`). */
  constructor(environment: object) {
    graphs.set(environment, this)
  }

  /** A directive module's transform: notes its imports, and returns what the bundler takes. */
  async record(importer: string, result: TransformResult | undefined, resolve: ResolveImport): Promise<TransformResult | undefined> {
    if (!result)
      return undefined
    const { imports, ...transformed } = result
    if (imports?.some(i => i.when))
      this.needs.set(importer, await this.resolveAll(imports, resolve))
    return transformed
  }

  private async resolveAll(imports: ServiceImport[], resolve: ResolveImport): Promise<Map<string, Set<string> | null>> {
    const byModule = new Map<string, Set<string> | null>()
    const resolved = await Promise.all(imports.map(i => resolve(i.source)))
    imports.forEach(({ when }, i) => {
      const target = resolved[i]
      if (!target || target.external)
        return
      const before = byModule.get(target.id)
      // Two imports of one module: it loads where either needs it.
      if (!when || before === null)
        byModule.set(target.id, null)
      else
        byModule.set(target.id, new Set([...(before ?? []), ...when]))
    })
    return byModule
  }

  /** The end of the build: every module's imports, and the file each module is in. */
  collect(context: { getModuleIds: () => IterableIterator<string>, getModuleInfo: (id: string) => { importedIds: readonly string[], dynamicallyImportedIds: readonly string[] } | null }, bundle: OutputBundle): void {
    for (const id of context.getModuleIds()) {
      const info = context.getModuleInfo(id)
      if (info)
        this.imported.set(id, [...info.importedIds, ...info.dynamicallyImportedIds])
    }
    for (const item of Object.values(bundle)) {
      if (item.type === 'chunk') {
        for (const id of item.moduleIds)
          this.fileOf.set(id, item.fileName)
      }
    }
  }

  /**
   * The files of the modules a service reaches from its entry through the imports its functions
   * need (`hosted` says which flags are its own): every other file, it loads nothing of. A
   * dynamic import is followed: where its body is gone, so is the import. Undefined when the
   * build's graph is unknown (then every file loads, as it would without this).
   */
  filesLoaded(entry: string, hosted: (flag: string) => boolean): Set<string> | undefined {
    if (this.fileOf.size === 0)
      return undefined
    const reached = new Set<string>([entry])
    const queue = [entry]
    while (queue.length > 0) {
      const id = queue.pop()!
      const needs = this.needs.get(id)
      for (const next of this.imported.get(id) ?? []) {
        if (reached.has(next))
          continue
        const when = needs?.get(next)
        if (when && ![...when].some(hosted))
          continue
        reached.add(next)
        queue.push(next)
      }
    }
    const files = new Set<string>()
    for (const id of reached) {
      const file = this.fileOf.get(id)
      if (file)
        files.add(file)
    }
    return files
  }
}

/** Reads the module graph at the end of the femto environment's build into its ServiceGraph. */
export function graphPlugin(): RolldownPlugin {
  return {
    name: 'femto:service-graph',
    generateBundle(_options, bundle) {
      const environment = (this as unknown as { environment?: object }).environment
      if (environment)
        graphs.get(environment)?.collect(this, bundle)
    },
  }
}
