import type { Dependencies } from './dependencies'
import type { FunctionLocation, SchemaRequest } from './derive'
import type { FunctionSchema } from './types'
import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheFolder, codeIdentity, writeCacheFile } from '../registry/cache-files'
import { staleDependency } from './dependencies'

/**
 * The schema cache: derived schemas kept between builds and dev-server starts, under
 * `node_modules/.cache/unplugin-femto` like the plugin's other state. An entry holds the schemas
 * of one set of functions and everything they were derived from: the text of each file the
 * TypeScript program read (the functions' modules, what their types import, declaration files,
 * package.json files, the tsconfig and its `extends` chain), each path module resolution looked
 * at in vain, the TypeScript version and this plugin's code. When all of these still hold, the
 * schemas are those a new program would derive, and none is created (nor TypeScript loaded).
 */

/** Bumped when an entry's shape changes. */
const FORMAT = 3

export interface CachedSchemas {
  schemas: Map<string, FunctionSchema>
}

interface Entry {
  key: string
  dependencies: Dependencies
  schemas: Record<string, FunctionSchema>
}

/**
 * One entry per set of modules, so that the entry a dev-server edit replaces is overwritten
 * rather than left behind.
 */
function entryFile(root: string, request: SchemaRequest): string {
  return entryOfModules(root, request.functions.map(fn => fn.file))
}

function entryOfModules(root: string, files: string[]): string {
  const modules = [...new Set(files)].sort()
  const id = createHash('sha256').update(JSON.stringify([root, modules])).digest('hex').slice(0, 16)
  return join(cacheFolder(root), `schemas-${id}.json`)
}

/** Everything besides the disk an entry depends on: the format, this plugin, TypeScript, the functions asked for. */
function keyOf(request: SchemaRequest): string {
  return JSON.stringify({ ...toolsOf(request), files: [...request.files].sort(), functions: locationsOf(request.functions) })
}

function toolsOf(request: SchemaRequest): { format: number, plugin: string, typescript: string, root: string | null } {
  return { format: FORMAT, plugin: codeIdentity(dirname(fileURLToPath(import.meta.url))), typescript: typescriptIdentity(), root: request.root ?? null }
}

function locationsOf(functions: FunctionLocation[]): [string, string, number, number][] {
  return [...functions]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(fn => [fn.name, fn.file, fn.line, fn.column])
}

/** The TypeScript the plugin would load, without loading it: its path and version. */
function typescriptIdentity(): string {
  const manifest = createRequire(import.meta.url).resolve('typescript/package.json')
  return `${manifest}@${JSON.parse(readFileSync(manifest, 'utf8')).version}`
}

/**
 * The schemas of `request` as a derivation now would give them, if the cache holds them: in its
 * own entry, or else in an entry that derived these functions, at these places, with others (a
 * dev-server edit asks for the functions of one module, which the start derived with the rest).
 */
export function readCachedSchemas(root: string, request: SchemaRequest): CachedSchemas | undefined {
  const own = entryFile(root, request)
  const key = keyOf(request)
  const exact = readEntry(own)
  const served = exact?.key === key ? heldSchemas(exact, request) : undefined
  if (served)
    return served
  const tools = JSON.stringify(toolsOf(request))
  const wanted = locationsOf(request.functions).map(location => JSON.stringify(location))
  for (const path of recentEntries(root)) {
    const entry = path === own ? undefined : readEntry(path)
    if (!entry)
      continue
    const { functions, tools: made } = keyParts(entry)
    if (!Array.isArray(functions) || made !== tools)
      continue
    const derived = new Set(functions.map(location => JSON.stringify(location)))
    const held = wanted.every(location => derived.has(location)) ? heldSchemas(entry, request) : undefined
    if (held)
      return held
  }
  return undefined
}

/**
 * Whether the entry of the functions of modules `files` still holds, guessed before their
 * functions are known: a build that finds it so does not start TypeScript before its scan.
 */
export function entryLikelyHolds(root: string, files: string[]): boolean {
  const entry = readEntry(entryOfModules(root, files))
  if (!entry)
    return false
  return keyParts(entry).tools === JSON.stringify(toolsOf({ files, functions: [], root })) && staleDependency(entry.dependencies) === undefined
}

/** An entry's functions, and the tools it was made with as {@link toolsOf} writes them. */
function keyParts(entry: Entry): { functions: unknown, tools: string } {
  const { files: _files, functions, ...tools } = parsedKey(entry.key)
  return { functions, tools: JSON.stringify(tools) }
}

/** An entry as this plugin writes it; anything else there (cut short, written by hand) is no entry. */
function readEntry(path: string): Entry | undefined {
  try {
    const entry = JSON.parse(readFileSync(path, 'utf8')) as Partial<Entry> | null
    if (typeof entry?.key !== 'string' || typeof entry.dependencies !== 'object' || entry.dependencies === null || typeof entry.schemas !== 'object' || entry.schemas === null)
      return undefined
    return entry as Entry
  }
  catch {
    return undefined
  }
}

/** An entry's key as fields; none for a key that is not the JSON object this plugin writes. */
function parsedKey(key: string): { files?: unknown, functions?: unknown } {
  try {
    const parsed = JSON.parse(key) as unknown
    return typeof parsed === 'object' && parsed !== null ? parsed : {}
  }
  catch {
    return {}
  }
}

/** How many entries, newest first, a request without its own entry looks through. */
export const ENTRIES_LOOKED_THROUGH = 32

/**
 * The paths of the newest entries: a dev session writes one for each set of functions and places
 * it derives, and an edit, which reads each entry it looks at whole, should not read them all.
 */
function recentEntries(root: string): string[] {
  const folder = cacheFolder(root)
  try {
    return readdirSync(folder)
      .filter(name => /^schemas-[\da-f]+\.json$/.test(name))
      .map(name => ({ path: join(folder, name), at: statSync(join(folder, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => b.at - a.at)
      .slice(0, ENTRIES_LOOKED_THROUGH)
      .map(entry => entry.path)
  }
  catch {
    return []
  }
}

function heldSchemas(entry: Entry, request: SchemaRequest): CachedSchemas | undefined {
  if (staleDependency(entry.dependencies) !== undefined)
    return undefined
  const schemas = new Map(request.functions.map(fn => [fn.name, entry.schemas[fn.name]!]))
  if (![...schemas.values()].every(Boolean))
    return undefined
  return { schemas }
}

/** Makes the cache folder exist before a derivation looks for modules, so that its creation is not taken for a change. */
export function ensureCacheFolder(root: string): void {
  try {
    mkdirSync(cacheFolder(root), { recursive: true })
  }
  catch {}
}

/** Best effort: a read-only `node_modules` only means the next build derives again. */
export function writeCachedSchemas(root: string, request: SchemaRequest, schemas: Map<string, FunctionSchema>, dependencies: Dependencies): void {
  const entry: Entry = { key: keyOf(request), dependencies, schemas: Object.fromEntries(schemas) }
  writeCacheFile(entryFile(root, request), JSON.stringify(entry))
}
