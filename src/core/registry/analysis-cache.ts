import type { ModuleAnalysis } from '../transform/analyze'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'devalue'
import { cacheFolder } from '../schema/cache'
import { codeIdentity } from './code-identity'

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

function entryFile(root: string, id: string): string {
  return join(cacheFolder(root), 'analyses', `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`)
}

function keyOf(id: string, code: string, displayId: string): string {
  return createHash('sha256').update(`${analysisCode()}\0${id}\0${displayId}\0`).update(code).digest('base64url')
}

/** The analysis of this text of `id`, if the cache holds it. */
export function readCachedAnalysis(root: string, id: string, code: string, displayId: string): ModuleAnalysis | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryFile(root, id), 'utf8')) as { key: string, analysis: string }
    return entry.key === keyOf(id, code, displayId) ? parse(entry.analysis) : undefined
  }
  catch {
    return undefined
  }
}

/** Best effort: a read-only `node_modules` only means the next build analyses again. */
export function writeCachedAnalysis(root: string, id: string, code: string, displayId: string, analysis: ModuleAnalysis): void {
  const file = entryFile(root, id)
  try {
    const entry = JSON.stringify({ key: keyOf(id, code, displayId), analysis: stringify(analysis) })
    mkdirSync(dirname(file), { recursive: true })
    // Written whole, then renamed: a build reading it meanwhile sees the old entry or the new one.
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, entry)
    renameSync(temporary, file)
  }
  catch {}
}
