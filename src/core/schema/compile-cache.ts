import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire, Module } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Script } from 'node:vm'

/** What became of the compile cache for one load. */
export type CacheUse = 'used' | 'written' | 'off'

/**
 * Where the compiled code is kept: one folder per user in the system's temporary folder, as
 * Node 22's own compile cache keeps its, readable by its owner only. Code read from it runs as
 * this process, so a folder that another user could have written is never read.
 */
export function compileCacheDir(): string {
  return join(tmpdir(), `unplugin-femto-compile-cache-${process.getuid?.() ?? 'user'}`)
}

/** The folder, made if need be, or undefined when it is not this user's alone. */
function ownFolder(dir: string): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const stat = statSync(dir)
    const uid = process.getuid?.()
    if (uid !== undefined && (stat.uid !== uid || (stat.mode & 0o077) !== 0))
      return undefined
    return dir
  }
  catch {
    return undefined
  }
}

const hash = (text: string): string => createHash('sha1').update(text).digest('hex').slice(0, 16)

/** V8's cache of `script` as it is now, at `entry`: written whole, then renamed, so that a build beside this one reads the old entry or the new, never half. */
function writeEntry(entry: string, script: Script): boolean {
  try {
    const partial = `${entry}.${process.pid}.tmp`
    writeFileSync(partial, script.createCachedData(), { mode: 0o600 })
    renameSync(partial, entry)
    return true
  }
  catch {
    return false
  }
}

/** The entries this process wrote, with their scripts, until keepCompiledCode writes them again. */
const written = new Map<string, Script>()

/**
 * Writes again each entry this process wrote, now with the functions compiled since it was
 * loaded. V8 compiles a function when it is first called, and an entry made at load holds only
 * the top level of the file; made after a schema program ran, TypeScript's entry also holds what
 * that program ran (its scanner, parser, binder and checker), which every later program would
 * otherwise compile again. Once per entry; a process that used an entry it found leaves it.
 */
export function keepCompiledCode(): void {
  for (const [entry, script] of written)
    writeEntry(entry, script)
  written.clear()
}

/**
 * Runs a CommonJS file as `require` would, with V8's code cache for it kept on disk: TypeScript's
 * 9 MB take ~250 ms to compile at each build or dev-server start that derives schemas, ~80 ms
 * from the cache (Node 20 has no compile cache of its own; 22's `module.enableCompileCache` would
 * turn one on for the whole process, Vite's modules too). The cache is V8's own format: V8 checks
 * it against the source and its own version and flags, and a cache it rejects is written again.
 * The entry's name holds the file's path, size and time, so an upgrade replaces it.
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off, as it does Node's.
 */
export function compileWithCache(file: string, dir = compileCacheDir()): { exports: unknown, cache: CacheUse } {
  // Read as bytes, then decoded: Node 20's `readFileSync(file, 'utf8')` takes twice as long for
  // TypeScript's 9 MB (~135 against ~65 ms here), and `require` reads it that way.
  const source = readFileSync(file).toString('utf8')
  const folder = process.env.NODE_DISABLE_COMPILE_CACHE ? undefined : ownFolder(dir)
  const stat = statSync(file)
  const prefix = hash(file)
  const entry = folder && join(folder, `${prefix}-${hash([stat.size, stat.mtimeMs, process.version, process.arch].join('|'))}.bin`)
  let cachedData: Buffer | undefined
  try {
    cachedData = entry ? readFileSync(entry) : undefined
  }
  catch {}
  const script = new Script(Module.wrap(source), { filename: file, cachedData })
  let cache: CacheUse = 'off'
  if (entry && cachedData && !script.cachedDataRejected) {
    cache = 'used'
  }
  else if (entry && writeEntry(entry, script)) {
    for (const name of readdirSync(folder)) {
      if (name.startsWith(`${prefix}-`) && join(folder, name) !== entry && !name.endsWith('.tmp'))
        rmSync(join(folder, name), { force: true })
    }
    cache = 'written'
    written.set(entry, script)
  }
  const module = { exports: {} as unknown }
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file))
  return { exports: module.exports, cache }
}

const loaded = new Map<string, unknown>()

/** `require(id)` from `from`, compiled with the code cache (once per process). */
export function requireCompiled(from: string, id: string): unknown {
  const file = createRequire(from).resolve(id)
  if (!loaded.has(file))
    loaded.set(file, compileWithCache(file).exports)
  return loaded.get(file)
}
