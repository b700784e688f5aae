import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Where the plugin keeps what it computed between builds (schemas, analyses, service files, the
 * previous build's hashes): `node_modules/.cache/unplugin-femto`, as bundlers keep theirs.
 */
export function cacheFolder(root: string): string {
  return join(root, 'node_modules/.cache/unplugin-femto')
}

/**
 * Writes a cache file whole, then renames it into place, so that a build reading it meanwhile
 * sees the old one or the new one. Best effort: a read-only `node_modules` only means the next
 * build computes again.
 */
export function writeCacheFile(file: string, data: string | Uint8Array): void {
  try {
    mkdirSync(dirname(file), { recursive: true })
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, data)
    renameSync(temporary, file)
  }
  catch {}
}

const identities = new Map<string, string>()

/**
 * The identity of this plugin's code in `folder`, for the caches that keep what it computed
 * (schemas, module analyses): its version, and the files of the folder. From the package, the
 * folder is `dist/`, whose chunks are named by a hash of their content, so their names and sizes
 * say whether the code changed (a rebuild rewrites unchanged files too); run from source (this
 * repository's tests), the source folder's files by size and time.
 */
export function codeIdentity(folder: string): string {
  let identity = identities.get(folder)
  if (identity === undefined) {
    const names = readdirSync(folder).sort()
    const fromSource = names.some(name => /\.[cm]?ts$/.test(name) && !/\.d\.[cm]?ts$/.test(name))
    const files = names.map((name) => {
      const stat = statSync(join(folder, name), { throwIfNoEntry: false })
      return fromSource ? `${name}:${stat?.size}:${stat?.mtimeMs}` : `${name}:${stat?.size}`
    })
    identity = createHash('sha256').update(`${packageVersion(folder)}\n${files.join('\n')}`).digest('base64url')
    identities.set(folder, identity)
  }
  return identity
}

function packageVersion(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      if (manifest.name === 'unplugin-femto')
        return String(manifest.version)
    }
    catch {}
  }
  return 'unknown'
}
