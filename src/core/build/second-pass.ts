import type { Plugin as RolldownPlugin } from 'rolldown'
import { posix } from 'node:path'
import { rolldown } from 'rolldown'
import { generateOneFile, isThirdPartyNoise } from './one-file'
import { isDeclaredExternal, isNodeBuiltin, unresolvedImportError } from './unresolved'

/** The files of Vite's build of every service, by file name, held in memory. */
export interface BuiltChunks {
  code: Map<string, string>
  /** For an import Vite's build could not resolve: the project file that imports it. */
  importerOf: Map<string, string>
  root: string
}

export interface StandaloneTarget {
  /** Its entry chunk's file name (`<service>.js`). */
  file: string
  /** `__FEMTO_HOSTED_<fn>__` for every function: true for its own, false for the others. */
  define: Record<string, string>
  external: readonly string[]
  /**
   * Files of modules this service does not load: what only other services' bodies import
   * (service-graph.ts). Their load-time code is dropped unless the service uses their exports.
   */
  sideEffectFree: ReadonlySet<string>
  /** Whose bundle this is, for errors. */
  who: string
}

// Ids the chunks have in this build only: shown in its messages, never on disk.
const PREFIX = '/femto-services/'

/**
 * One service's standalone file from the shared build: its entry chunk and the chunks it
 * imports, inlined, with its flags defined so that tree-shaking drops the other services'
 * bodies and whatever only they imported. No plugin of the app runs again: Vite's build has
 * done everything they do.
 */
export async function standalone(chunks: BuiltChunks, target: StandaloneTarget): Promise<Buffer> {
  let unresolved: Error | undefined
  const fromMemory: RolldownPlugin = {
    name: 'femto:services',
    resolveId(id, importer) {
      if (id === target.file && !importer)
        return PREFIX + id
      if (id.startsWith('.') && importer?.startsWith(PREFIX)) {
        const file = posix.join(posix.dirname(importer.slice(PREFIX.length)), id)
        if (chunks.code.has(file))
          return target.sideEffectFree.has(file) ? { id: PREFIX + file, moduleSideEffects: false } : PREFIX + file
      }
      if (isNodeBuiltin(id) || isDeclaredExternal(id, target.external))
        return { id, external: true }
      // Vite's build kept it because nothing resolved it there: the service would fail as it loads.
      unresolved ??= unresolvedImportError({ who: target.who, id, importer: chunks.importerOf.get(id), root: chunks.root })
      return { id, external: true }
    },
    load(id) {
      return id.startsWith(PREFIX) ? chunks.code.get(id.slice(PREFIX.length)) : undefined
    },
  }
  const bundler = await rolldown({
    input: target.file,
    platform: 'node',
    plugins: [fromMemory],
    // femtoFile() finds run-time files next to the bundle (runtime/files.ts).
    transform: { define: { ...target.define, __FEMTO_SERVICE_BUNDLE__: 'true' } },
    logLevel: 'warn',
    onLog(level, log, handler) {
      if (isThirdPartyNoise(log))
        return
      handler(level, log)
    },
  })
  return generateOneFile(bundler, () => unresolved)
}
