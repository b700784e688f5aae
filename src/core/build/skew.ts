import type { Manifest, PreviousVersion } from './manifest'
import { createHash } from 'node:crypto'
import { copyFile, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { cacheFolder } from '../registry/cache-files'
import { MANIFEST_FILE } from './manifest'

// Version skew (docs/guide/version-skew.md): when a build changes a function's contract, the
// previous version of its service stays served beside the new one for the skew window, so a
// page loaded before the deploy keeps working. This module decides which previous versions a
// build keeps, and keeps their bundles.

/** The folder, in the servers folder, of the previous versions' bundles. */
export const PREVIOUS_DIR = 'previous'

/** A previous build of the folder: its manifest, and a way to read its files. */
export interface PreviousBuild {
  manifest: Manifest
  read: (file: string) => Promise<Buffer | undefined>
}

/**
 * Where the last build of `dir` is kept (its manifest and bundles, hard links): Vite may empty
 * the output folder before the services are built, and a deploy tool may clean it.
 */
function keptFolder(root: string, dir: string): string {
  return join(cacheFolder(root), `${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.last`)
}

/** The previous build of `dir`: the folder itself if its manifest is still there, else the kept copy. */
export async function readPreviousBuild(root: string, dir: string): Promise<PreviousBuild | undefined> {
  for (const folder of [dir, keptFolder(root, dir)]) {
    try {
      const manifest = JSON.parse(await readFile(join(folder, MANIFEST_FILE), 'utf8')) as Manifest
      return { manifest, read: file => readFile(join(folder, file)).catch(() => undefined) }
    }
    catch {}
  }
  return undefined
}

/** The previous versions a build keeps serving, per function, and the bundles to write for them. */
export interface KeptVersions {
  byFunction: Map<string, PreviousVersion[]>
  /** Path in the servers folder → bundle. */
  files: Map<string, Buffer>
}

/**
 * For each function whose contract differs from the previous build's: that build's service
 * serves the old contract until `now + windowMs`. Versions the previous build kept stay, until
 * their own `until`, unless the function is back at their contract. Read before the servers
 * folder is emptied.
 */
export async function keepPreviousVersions(previous: PreviousBuild | undefined, functions: { name: string, contract: string }[], windowMs: number, now = Date.now()): Promise<KeptVersions> {
  const kept: KeptVersions = { byFunction: new Map(), files: new Map() }
  if (!previous || windowMs === 0)
    return kept
  const until = new Date(now + windowMs).toISOString()
  for (const fn of functions) {
    const before = previous.manifest.functions.find(f => f.name === fn.name)
    if (!before)
      continue
    const versions: PreviousVersion[] = []
    const keep = async (version: PreviousVersion, from: string): Promise<void> => {
      if (version.contract === fn.contract || versions.some(v => v.contract === version.contract))
        return
      const code = kept.files.get(version.file) ?? await previous.read(from)
      if (!code)
        return
      kept.files.set(version.file, code)
      versions.push(version)
    }
    const service = previous.manifest.services.find(s => s.name === before.service)
    if (service)
      await keep({ contract: before.contract, service: service.name, hash: service.hash, file: `${PREVIOUS_DIR}/${service.name}@${service.hash}.js`, until }, service.file)
    for (const older of before.previous ?? []) {
      if (Date.parse(older.until) > now)
        await keep(older, older.file)
    }
    if (versions.length > 0)
      kept.byFunction.set(fn.name, versions)
  }
  return kept
}

export async function writePreviousVersions(dir: string, kept: KeptVersions): Promise<void> {
  for (const [file, code] of kept.files) {
    await mkdir(dirname(join(dir, file)), { recursive: true })
    await writeFile(join(dir, file), code)
  }
}

/** Keeps this build's manifest and bundles for the next build (hard links: no copy of the bytes). */
export async function keepLastBuild(root: string, dir: string, manifest: Manifest): Promise<void> {
  const folder = keptFolder(root, dir)
  await rm(folder, { recursive: true, force: true })
  const files = [MANIFEST_FILE, ...manifest.services.map(s => s.file), ...new Set(manifest.functions.flatMap(fn => (fn.previous ?? []).map(p => p.file)))]
  for (const file of files) {
    await mkdir(dirname(join(folder, file)), { recursive: true })
    await link(join(dir, file), join(folder, file)).catch(() => copyFile(join(dir, file), join(folder, file)))
  }
}

/** Lines under the build table: which functions changed contract, and what stays served until when. */
export function describeSkew(manifest: Manifest): string | undefined {
  const lines = manifest.functions.filter(fn => (fn.previous ?? []).length > 0).map(fn =>
    `  ${fn.name}: contract ${fn.contract}; previous ${fn.previous!.map(p => `${p.contract} (${p.file}) until ${p.until.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC')}`).join(', ')}`)
  return lines.length === 0 ? undefined : `femto: contract changed since a build still in its skew window; old pages' calls go to the previous version:\n${lines.join('\n')}`
}
