import type { EnvUse } from './env-scan'
import type { BuiltChunks, StandaloneTarget } from './second-pass'
import { createHash } from 'node:crypto'
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheFolder, codeIdentity, writeCacheFile } from '../registry/cache-files'
import { runtimeFile } from './runtime-paths'

/**
 * Services' files kept between builds. A service's file is the second pass's (second-pass.ts)
 * rolldown bundle of the chunks of Vite's shared build and of the runtime, with its own flags: a
 * function of those chunks, the runtime's files, the service's flags, loaded files and externals,
 * rolldown's version and this plugin's code, and nothing else (no plugin of the app runs in it).
 * When all of them are the same, the file is the one kept, and rolldown is not run: a rebuild of
 * the bench's shop ran six second passes for ~300 ms. One entry per file name (`<file>` and
 * `<file>.key`: the key, the content's hash, and what the build learned by reading the file),
 * overwritten. A kept file is linked into the output, not decoded and written again: a rebuild of
 * 1000 services spent ~2 s rewriting 115 MB and scanning it for what the `.key` now says.
 */

let rolldownVersion: string | undefined
const here = dirname(fileURLToPath(import.meta.url))

/** What every service of one shared build has in common: the chunks' text (hashed once per build). */
export function chunksDigest(chunks: BuiltChunks): string {
  const hash = createHash('sha256')
  for (const [file, code] of [...chunks.code].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    hash.update(file).update('\0').update(code).update('\0')
  return hash.digest('base64url')
}

export function bundleKey(digest: string, target: StandaloneTarget, hostedFlags: ReadonlySet<string>): string {
  rolldownVersion ??= String(JSON.parse(readFileSync(createRequire(import.meta.url).resolve('rolldown/package.json'), 'utf8')).version)
  return createHash('sha256').update(JSON.stringify({
    // From the package, every chunk of dist/; from source, this folder (the second pass and its helpers).
    plugin: codeIdentity(here),
    runtime: runtimeIdentity(),
    rolldown: rolldownVersion,
    chunks: digest,
    file: target.file,
    hosted: [...hostedFlags].sort(),
    loads: target.loads ? [...target.loads].sort() : null,
    external: [...target.external].sort(),
  })).digest('base64url')
}

let runtime: string | undefined

/** The runtime's files, which each service's pass reads from disk (second-pass.ts); what they import from dist/ is in `plugin`. */
function runtimeIdentity(): string {
  return runtime ??= treeDigest(dirname(runtimeFile('server')))
}

/** Every file under `folder`, by path and content. */
export function treeDigest(folder: string): string {
  const hash = createHash('sha256')
  const files = readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort()
  for (const file of files)
    hash.update(file).update('\0').update(readFileSync(join(folder, file))).update('\0')
  return hash.digest('base64url')
}

const keptFile = (root: string, file: string): string => join(cacheFolder(root), 'bundles', file)
const sha256 = (code: string | Buffer): string => createHash('sha256').update(code).digest('base64url')

/** What a build learns by reading a service's file (build-servers.ts), kept with it so that a build that takes it need not read it for that. */
export interface BundleFacts {
  reads: EnvUse
  stubs: string[]
}

/** A service's file kept by an earlier build, as its check read it: placed in the output as it is, not decoded and written again. */
export interface KeptBundle {
  path: string
  content: Buffer
  facts: BundleFacts
}

/** The file kept under `key`, if any: the last one written under that name, when its content is still what was kept. */
export function readCachedBundle(root: string, file: string, key: string): KeptBundle | undefined {
  const path = keptFile(root, file)
  try {
    const [keptKey, keptHash, facts] = readFileSync(`${path}.key`, 'utf8').split('\n')
    if (keptKey !== key || !facts)
      return undefined
    const content = readFileSync(path)
    return sha256(content) === keptHash ? { path, content, facts: JSON.parse(facts) as BundleFacts } : undefined
  }
  catch {
    return undefined
  }
}

/** Puts a kept file at `file` in the output: a hard link, as keepBundle made it (1000 services: 115 MB not written again). */
export function placeKeptBundle(kept: KeptBundle, file: string): void {
  try {
    linkSync(kept.path, file)
  }
  catch {
    // Another file system than the cache's.
    writeFileSync(file, kept.content)
  }
}

/**
 * Keeps a service's file, just written to `written`, under `key`. Best effort: a read-only
 * `node_modules` only means the next build bundles again. The kept file is a hard link to the
 * written one, not a copy: a cold build of 1000 services wrote 115 MB more, ~2 s, to copy them.
 * A later write to the output in place (the same inode) changes it too, which the kept hash
 * tells; Vite's emptying of the output folder does not.
 */
export function keepBundle(root: string, file: string, key: string, written: string, code: string, facts: BundleFacts): void {
  const path = keptFile(root, file)
  try {
    mkdirSync(dirname(path), { recursive: true })
    rmSync(path, { force: true })
    try {
      linkSync(written, path)
    }
    catch {
      // Another file system than the output's.
      copyFileSync(written, path)
    }
  }
  catch {
    return
  }
  writeCacheFile(`${path}.key`, `${key}\n${sha256(code)}\n${JSON.stringify(facts)}`)
}
