import type { ModuleAnalysis } from '../transform/analyze'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'devalue'
import { cacheFolder, codeIdentity, writeCacheFile } from './cache-files'

/**
 * Module analyses kept between builds and dev-server starts. An analysis is a function of the
 * module's text, the path it is shown under and the code that analyses it, and nothing else, so an
 * entry holding the same three is the analysis a new parse would give; a build whose modules did
 * not change then never loads Babel (~150 ms) nor walks a syntax tree (~300 ms for the bench's
 * shop). One entry per module, overwritten when its text changes. devalue keeps what JSON would
 * lose (Maps, Sets, `undefined`, `Infinity` in a policy) and refuses anything else.
 */

const here = fileURLToPath(import.meta.url)
/** Run from source (this repository's tests), the analysis is `src/core/transform`; from the package, `dist/`'s chunks. */
const analysisCode = (): string => codeIdentity(/\.[cm]?ts$/.test(here) ? join(dirname(here), '../transform') : dirname(here))

/** Where the analysis of module `id` is kept (exported for the tests that check what a build analysed). */
export function analysisEntryFile(root: string, id: string): string {
  return join(cacheFolder(root), 'analyses', `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`)
}

function keyOf(id: string, code: string, displayId: string): string {
  return createHash('sha256').update(`${analysisCode()}\0${id}\0${displayId}\0`).update(code).digest('base64url')
}

/** The analysis of this text of `id`, if the cache holds it. */
export function readCachedAnalysis(root: string, id: string, code: string, displayId: string): ModuleAnalysis | undefined {
  try {
    const entry = JSON.parse(readFileSync(analysisEntryFile(root, id), 'utf8')) as { key: string, analysis: string }
    return entry.key === keyOf(id, code, displayId) ? parse(entry.analysis) : undefined
  }
  catch {
    return undefined
  }
}

/** Best effort: a read-only `node_modules` only means the next build analyses again. */
export function writeCachedAnalysis(root: string, id: string, code: string, displayId: string, analysis: ModuleAnalysis): void {
  let entry: string
  try {
    entry = JSON.stringify({ key: keyOf(id, code, displayId), analysis: stringify(analysis) })
  }
  catch {
    // Not plain data (devalue refuses it): not kept, analysed again next time.
    return
  }
  writeCacheFile(analysisEntryFile(root, id), entry)
}
