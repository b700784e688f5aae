import type { Plugin as RolldownPlugin } from 'rolldown'
import { readFileSync } from 'node:fs'
import { isAbsolute, posix } from 'node:path'
import { rolldown } from 'rolldown'
import { generateOneFile, isThirdPartyNoise } from './one-file'
import { RUNTIME_FILE } from './runtime-paths'
import { BUILTINS_HAVE_NO_SIDE_EFFECTS, isDeclaredExternal, isNodeBuiltin, unresolvedImportError } from './unresolved'
import { SharedFiles } from './unused-stubs'

/** The files of Vite's build of every service, by file name, held in memory. */
export interface BuiltChunks {
  code: Map<string, string>
  /** The files as each service reads them, with its flags (unused-stubs.ts). */
  perService?: SharedFiles
  /** For an import Vite's build could not resolve: the project file that imports it. */
  importerOf: Map<string, string>
  root: string
  /** The runtime's files, which the shared build leaves out: read and resolved once, not once per service. */
  runtime?: RuntimeReads
}

interface RuntimeReads {
  text: Map<string, string>
  /** By importer and specifier. */
  resolved: Map<string, { id: string, external: boolean | 'absolute' | 'relative' } | null>
}

export interface StandaloneTarget {
  /** Its entry chunk's file name (`<service>.js`). */
  file: string
  /** Whether `__FEMTO_HOSTED_<fn>__` is this service's own (true) or another's (false). */
  hosts: (flag: string) => boolean
  external: readonly string[]
  /**
   * The files of the modules this service loads (service-graph.ts). Every other file is what
   * only other services' bodies import: its load-time code is dropped, and the file with it
   * unless the service uses its exports.
   */
  loads: ReadonlySet<string> | undefined
  /** Whose bundle this is, for errors. */
  who: string
}

// Ids the chunks have in this build only: shown in its messages, never on disk.
const PREFIX = '/femto-services/'
// The runtime's files (and devalue's) under ids of their own, `/femto-runtime<path>`, read and
// resolved once per build: under their real paths every pass looked up their package.json files
// anew (1000 passes of 27 files: +2 to +4 s of CPU, measured).
const RUNTIME_PREFIX = '/femto-runtime'

/**
 * One service's standalone file from the shared build: its entry chunk, the chunks it imports
 * and the runtime (read from disk: the shared build leaves it out), inlined, with its flags
 * defined so that tree-shaking drops the other services' bodies and whatever only they
 * imported. No plugin of the app runs again: Vite's build has done everything they do, and none
 * has anything to do to the runtime.
 */
export async function standalone(chunks: BuiltChunks, target: StandaloneTarget): Promise<string> {
  let unresolved: Error | undefined
  const runtime = chunks.runtime ??= { text: new Map(), resolved: new Map() }
  const fromMemory: RolldownPlugin = {
    name: 'femto:services',
    resolveId(id, importer) {
      if (id === target.file && !importer)
        return PREFIX + id
      if (id.startsWith('.') && importer?.startsWith(PREFIX)) {
        const file = posix.join(posix.dirname(importer.slice(PREFIX.length)), id)
        if (chunks.code.has(file))
          return !target.loads || target.loads.has(file) ? PREFIX + file : { id: PREFIX + file, moduleSideEffects: false }
      }
      if (isNodeBuiltin(id) || isDeclaredExternal(id, target.external))
        return { id, external: true }
      // The runtime, which Vite's build left out (the plugin's resolveId), and what it imports.
      if (isAbsolute(id) && RUNTIME_FILE.test(id))
        return RUNTIME_PREFIX + id
      if (importer?.startsWith(RUNTIME_PREFIX)) {
        const key = `${importer}\0${id}`
        const file = runtime.resolved.get(key)
        if (file !== undefined)
          return file ?? undefined
        return this.resolve(id, importer.slice(RUNTIME_PREFIX.length), { skipSelf: true }).then((resolved) => {
          const kept = resolved ? { id: resolved.external ? resolved.id : RUNTIME_PREFIX + resolved.id, external: resolved.external } : null
          runtime.resolved.set(key, kept)
          return kept
        })
      }
      // Vite's build kept it because nothing resolved it there: the service would fail as it loads.
      unresolved ??= unresolvedImportError({ who: target.who, id, importer: chunks.importerOf.get(id), root: chunks.root })
      return { id, external: true }
    },
    load(id) {
      if (id.startsWith(PREFIX))
        return (chunks.perService ??= new SharedFiles(chunks.code)).forService(id.slice(PREFIX.length), target.file, target.hosts)
      if (!id.startsWith(RUNTIME_PREFIX))
        return undefined
      let text = runtime.text.get(id)
      if (text === undefined)
        runtime.text.set(id, text = readFileSync(id.slice(RUNTIME_PREFIX.length), 'utf8'))
      return text
    },
  }
  const bundler = await rolldown({
    input: target.file,
    // Module markers name files from here: the same bytes wherever the build was started.
    cwd: chunks.root,
    platform: 'node',
    plugins: [fromMemory],
    treeshake: { moduleSideEffects: BUILTINS_HAVE_NO_SIDE_EFFECTS },
    // femtoFile() finds run-time files next to the bundle (runtime/files.ts).
    transform: { define: { __FEMTO_SERVICE_BUNDLE__: 'true' } },
    logLevel: 'warn',
    onLog(level, log, handler) {
      if (isThirdPartyNoise(log))
        return
      handler(level, log)
    },
  })
  return portableMarkers(await generateOneFile(bundler, () => unresolved), chunks.root)
}

// A module marker of this pass's own ids: rolldown writes `// <id relative to cwd>` above each
// module, and these ids are not under the project (`/femto-runtime/home/me/app/node_modules/…`).
const OWN_MARKER = /^\/\/ (?:\.\.\/)*femto-(runtime|services)(\/.*)$/gm

/**
 * `code` with the markers of the runtime's files naming them from the project's root, as the
 * other bundlers' passes name every file, and those of the shared build's files without the way
 * up to `/`. As rolldown wrote them, they held where the project and the plugin were on the disk:
 * the same project built in another folder (another checkout, another CI workspace) made other
 * bytes, so every service looked changed to a deploy, and each file told the build machine's paths.
 */
export function portableMarkers(code: string, root: string): string {
  return code.replace(OWN_MARKER, (_marker, kind: string, path: string) => `// ${kind === 'runtime' ? posix.relative(root, path) : `femto-services${path}`}`)
}
