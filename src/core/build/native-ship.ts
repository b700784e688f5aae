import type { BuiltBundle } from './manifest'
import type { NativePackages } from './native-detect'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises'
import { join, sep } from 'node:path'

/** Where, in the servers folder, the shipped packages go: Node resolves a bundle's bare imports from here. */
export const SHIPPED_DIR = 'node_modules'

/**
 * Ships what each bundle imports of the external native packages: each package is traced with
 * @vercel/nft (its JavaScript, its `.node` binaries, the files it reads, its dependencies) and
 * copied to `<serversDir>/node_modules/`, once for all services. Each bundle's entry records the
 * packages and files it needs, and its hash covers them (a new binary rolls its image).
 */
export async function shipNativePackages(native: NativePackages, root: string, dir: string, bundles: Map<string, BuiltBundle>): Promise<void> {
  if (native.ids.length === 0)
    return
  const traces = new Map<string, Promise<Traced>>()
  const copies = new Map<string, Promise<void>>()
  await Promise.all(Array.from(bundles, async ([key, built]) => {
    const code = await readFile(join(dir, built.file), 'utf8')
    const used = native.ids.filter(id => importsPackage(code, id))
    if (used.length === 0)
      return
    const traced = await Promise.all(used.map((id) => {
      if (!traces.has(id))
        traces.set(id, tracePackage(id, root, native.reasons.get(id) ?? 'external'))
      return traces.get(id)!
    }))
    const shipped = new Map<string, string>()
    for (const { files } of traced) {
      for (const [to, from] of files)
        shipped.set(to, from)
    }
    for (const [to, from] of shipped) {
      if (!copies.has(to))
        copies.set(to, mkdir(join(dir, to, '..'), { recursive: true }).then(() => copyFile(from, join(dir, to))))
    }
    await Promise.all(Array.from(shipped.keys(), to => copies.get(to)))
    const hash = createHash('sha256').update(built.hash)
    for (const { id, hash: packageHash } of traced)
      hash.update(`\0${id}\0${packageHash}`)
    bundles.set(key, { ...built, hash: hash.digest('hex').slice(0, 16), native: used, shipped: [...shipped.keys()].sort() })
  }))
}

interface Traced {
  id: string
  /** Path in the servers folder (`node_modules/…`) → the installed file. */
  files: Map<string, string>
  /** Of every file's path and content. */
  hash: string
}

/**
 * A bare import of `id` (or of one of its subpaths) as a bundler writes it in an ES module:
 * `from "id"`, `import("id")`, `import "id"`, or a `require("id")` kept for CommonJS code (rolldown's
 * `__require`, hence no word boundary before `require`).
 */
export function importsPackage(code: string, id: string): boolean {
  const quoted = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(?:\\bfrom\\s*|\\bimport\\s*\\(?\\s*|require\\s*\\(\\s*)["']${quoted}(?:/[^"']*)?["']`).test(code)
}

/**
 * Every file package `id` needs at run time, as @vercel/nft finds them from an import of it at
 * the project root (where the bundler resolved it). nft is loaded here only: a build without
 * native packages never loads it.
 */
async function tracePackage(id: string, root: string, reason: string): Promise<Traced> {
  const { nodeFileTrace } = await import('@vercel/nft')
  // A module that only imports the package: nft starts from it as if it were on disk.
  const entry = join(root, `__femto_trace_${id.replace(/\W/g, '_')}.mjs`)
  const source = `import ${JSON.stringify(id)}\n`
  const result = await nodeFileTrace([entry], {
    base: sep,
    conditions: ['node', 'import', 'default'],
    mixedModules: true,
    readFile: async path => (path === entry ? source : readFile(path).catch(() => null)),
  })
  const files = new Map<string, string>()
  for (const listed of result.fileList) {
    const from = `${sep}${listed}`
    const to = shippedPath(from)
    if (to && (await stat(from)).isFile())
      files.set(to, from)
  }
  const unresolved = [...result.warnings].find(w => w.message.includes(`Cannot find module '${id}'`))
  if (![...files.keys()].some(to => to.startsWith(`${SHIPPED_DIR}/${id}/`))) {
    throw new Error(`[unplugin-femto] '${id}' is imported by a service and left out of its bundle (${reason}), but it is not installed where the project root (${root}) can import it${unresolved ? `: ${unresolved.message}` : ''}`)
  }
  const hash = createHash('sha256')
  for (const [to, from] of [...files].sort(([a], [b]) => (a < b ? -1 : 1)))
    hash.update(`\0${to}\0`).update(await readFile(from))
  return { id, files, hash: hash.digest('hex') }
}

/**
 * Where an installed file goes under the servers folder: its path from the project's
 * `node_modules` (nested installs keep their nesting); from pnpm's store, its path from the
 * package's own `node_modules`, flattened as npm would hoist it. Undefined outside `node_modules`.
 */
export function shippedPath(file: string): string | undefined {
  const parts = file.split(sep)
  const first = parts.indexOf('node_modules')
  if (first < 0)
    return undefined
  let from = first
  if (parts[first + 1] === '.pnpm')
    from = parts.lastIndexOf('node_modules')
  return [SHIPPED_DIR, ...parts.slice(from + 1)].join('/')
}
