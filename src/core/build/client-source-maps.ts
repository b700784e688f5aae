import { dirname, posix, resolve, sep } from 'node:path'

/**
 * A client build with source maps (`build.sourcemap`, for an error tracker say) names each module
 * it maps, and the bundler fills `sourcesContent` with the module's original text. For a module
 * with the directive that is its functions' bodies, and every constant and import beside them:
 * a published `.map` would serve to anyone what the stubs took out of the JavaScript. Their
 * content is left out (null), as for a source the bundler could not read; the mappings stay, so
 * a stack trace still points at the function's line.
 */

interface MapLike { sources?: (string | null)[], sourcesContent?: (string | null)[] | null, sourceRoot?: string }
interface OutputItem { type: 'chunk' | 'asset', fileName: string, code?: string, map?: MapLike | null, source?: string | Uint8Array }

/**
 * Whether a source (an absolute path) is a module with functions; with `tail`, whether one ends
 * with it. A Web Worker's bundle is made without an output folder, so its sources are relative
 * to a folder it does not say: there, a module is known by the end of its path.
 */
export type ServerSource = (file: string, tail?: boolean) => boolean

/** `build.sourcemap: 'inline'`: the map is already in the chunk's code by `generateBundle`. */
const INLINE_MAP = /(\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,)([A-Za-z0-9+/=]+)\s*$/

/**
 * Removes the text of the modules `isServerSource` names (absolute paths) from every source map in
 * `bundle` (Rollup's and Rolldown's `generateBundle` bundle: a chunk's `map`, and the `.map` assets
 * made from it). `outDir`: where the bundle's files are written, which their `sources` are relative to.
 */
export function leaveServerSourcesOut(bundle: Record<string, OutputItem>, outDir: string, isServerSource: ServerSource): void {
  for (const item of Object.values(bundle)) {
    if (item.type === 'chunk') {
      if (item.map)
        scrub(item.map, item.fileName, outDir, isServerSource)
      const inline = item.code === undefined ? null : INLINE_MAP.exec(item.code)
      if (inline) {
        const map = parseMap(Buffer.from(inline[2]!, 'base64').toString('utf8'))
        if (map && scrub(map, item.fileName, outDir, isServerSource))
          item.code = item.code!.slice(0, inline.index) + inline[1] + Buffer.from(JSON.stringify(map)).toString('base64')
      }
    }
    else if (item.type === 'asset' && item.fileName.endsWith('.map') && item.source !== undefined) {
      const map = parseMap(typeof item.source === 'string' ? item.source : new TextDecoder().decode(item.source))
      if (map && scrub(map, item.fileName, outDir, isServerSource))
        item.source = JSON.stringify(map)
    }
  }
}

function parseMap(text: string): MapLike | undefined {
  try {
    return JSON.parse(text) as MapLike
  }
  catch {
    return undefined
  }
}

/** Whether it left any source's text out. */
function scrub(map: MapLike, fileName: string, outDir: string, isServerSource: ServerSource): boolean {
  if (!map.sources || !map.sourcesContent)
    return false
  const from = resolve(outDir, dirname(fileName), map.sourceRoot ?? '')
  let changed = false
  map.sources.forEach((source, i) => {
    // A URL (`webpack://…`) names no file here; a Windows path (`C:/…`) does.
    if (source === null || map.sourcesContent![i] == null || /^[a-z][\w+.-]+:\/\//i.test(source))
      return
    if (isServerSource(resolve(from, source).split(sep).join(posix.sep)) || isServerSource(source.replace(/^(?:\.\.?\/)+/, '/'), true)) {
      map.sourcesContent![i] = null
      changed = true
    }
  })
  return changed
}
