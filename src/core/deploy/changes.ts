import type { Manifest } from '../build/manifest'
import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MANIFEST_FILE } from '../build/manifest'
import { cacheFolder } from '../registry/cache-files'

/** What changed since the previous build in the same output folder, by each service's `hash`. */
export interface ServiceChanges {
  /** False for the first build of this output folder (then every service counts as added). */
  previous: boolean
  added: string[]
  changed: string[]
  removed: string[]
  unchanged: string[]
}

type Hashes = Record<string, string>

/**
 * Where the hashes of the last build of `dir` are kept between builds: Vite empties its output
 * folder before writing (`emptyOutDir`), so the previous `femto.json` is often gone by the time
 * the services are built. Kept like other tools' caches, under `node_modules/.cache`.
 */
function stateFile(root: string, dir: string): string {
  return join(cacheFolder(root), `${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.json`)
}

/** The hashes of the previous build of `dir`: from its `femto.json` if it is still there, else from the cache. */
export async function readPreviousHashes(root: string, dir: string): Promise<Hashes | undefined> {
  for (const [file, pick] of [
    [join(dir, MANIFEST_FILE), (json: Manifest) => Object.fromEntries(json.services.map(s => [s.name, s.hash]))],
    [stateFile(root, dir), (json: { services: Hashes }) => json.services],
  ] as const) {
    try {
      return (pick as (json: unknown) => Hashes)(JSON.parse(await readFile(file, 'utf8')))
    }
    catch {}
  }
  return undefined
}

export async function rememberHashes(root: string, dir: string, manifest: Manifest): Promise<void> {
  const file = stateFile(root, dir)
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, `${JSON.stringify({ dir, services: Object.fromEntries(manifest.services.map(s => [s.name, s.hash])) }, null, 2)}\n`)
}

export function diffServices(previous: Hashes | undefined, manifest: Manifest): ServiceChanges {
  const changes: ServiceChanges = { previous: previous !== undefined, added: [], changed: [], removed: [], unchanged: [] }
  for (const service of manifest.services) {
    const before = previous?.[service.name]
    const list = before === undefined ? changes.added : before === service.hash ? changes.unchanged : changes.changed
    list.push(service.name)
  }
  changes.removed = Object.keys(previous ?? {}).filter(name => !manifest.services.some(s => s.name === name)).sort()
  return changes
}

export function describeChanges(changes: ServiceChanges): string {
  if (!changes.previous)
    return `femto: first build in this folder: every service is new (${changes.added.length})`
  const total = changes.added.length + changes.changed.length + changes.unchanged.length
  const parts = [
    `changed: ${changes.changed.join(', ') || 'none'}`,
    ...(changes.added.length > 0 ? [`added: ${changes.added.join(', ')}`] : []),
    ...(changes.removed.length > 0 ? [`removed: ${changes.removed.join(', ')}`] : []),
  ]
  return `femto: since the previous build, ${parts.join('; ')} (${changes.unchanged.length} of ${total} unchanged)`
}
