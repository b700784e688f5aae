import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * Packages a service bundle must not hold: native addons, whose `.node` binary no bundler can
 * inline, and whatever the `external` option names (packages that read their own files at run
 * time). Services import them by name, and the build ships them beside the bundles
 * (native-ship.ts). Docs: guide/native-dependencies.md.
 */
export interface NativePackages {
  /** Package names to leave external in every service bundle, sorted. */
  ids: string[]
  /** Why each is external: `binding.gyp`, `depends on bindings`, `external option`, … */
  reasons: Map<string, string>
}

/** Packages that load a compiled addon for the package that depends on them. */
const ADDON_LOADERS = ['bindings', 'node-gyp-build', 'node-gyp-build-optional-packages', 'prebuild-install', '@mapbox/node-pre-gyp', 'node-pre-gyp', 'cmake-js']

interface Installed {
  name: string
  dir: string
  reason: string | undefined
  /** Directories of its optional dependencies: napi-rs packages ship their binary in one per platform. */
  optional: string[]
}

/**
 * Walks the installed dependency graph of the project (its `package.json`'s dependencies,
 * devDependencies and optionalDependencies, then theirs), reading each package's
 * `package.json` and the names at its top: a bundler may inline any of them into a service,
 * and which ones a function reaches is only known once it is bundled. Resolution is Node's
 * (`node_modules` of the folder, then of each parent), through symlinks (pnpm).
 */
export function findNativePackages(root: string, forced: string[] = []): NativePackages {
  const project = nearestPackageJson(root)
  const byDir = new Map<string, Installed>()
  const pending: Installed[] = []
  const visit = (name: string, from: string): string | undefined => {
    const dir = resolvePackageDir(name, from)
    if (!dir || byDir.has(dir))
      return dir
    const manifest = readJson(join(dir, 'package.json'))
    const installed: Installed = { name, dir, reason: addonMarker(dir, manifest), optional: [] }
    byDir.set(dir, installed)
    pending.push(installed)
    return dir
  }
  if (project) {
    const manifest = readJson(project)
    for (const name of dependencyNames(manifest, true))
      visit(name, dirname(project))
  }
  for (let next = pending.pop(); next; next = pending.pop()) {
    const manifest = readJson(join(next.dir, 'package.json'))
    for (const name of dependencyNames(manifest, false))
      visit(name, next.dir)
    for (const name of Object.keys(record(manifest.optionalDependencies))) {
      const dir = visit(name, next.dir)
      if (dir)
        next.optional.push(dir)
    }
  }
  const reasons = new Map<string, string>()
  for (const installed of byDir.values()) {
    const binary = installed.optional.map(dir => byDir.get(dir)).find(dep => dep?.reason)
    const reason = installed.reason ?? (binary ? `its binary is in ${binary.name}` : undefined)
    if (reason && !reasons.has(installed.name))
      reasons.set(installed.name, reason)
  }
  for (const name of forced)
    reasons.set(name, 'external option')
  return { ids: [...reasons.keys()].sort(), reasons }
}

/** Why a package is a native addon, from its `package.json` and the names at its top; undefined if it is not. */
export function addonMarker(dir: string, manifest: Record<string, unknown>): string | undefined {
  if (manifest.gypfile === true)
    return 'gypfile'
  if (manifest.binary !== undefined && typeof manifest.binary === 'object')
    return 'node-pre-gyp binary'
  if (typeof manifest.main === 'string' && manifest.main.endsWith('.node'))
    return `main is ${manifest.main}`
  const deps = { ...record(manifest.dependencies), ...record(manifest.optionalDependencies) }
  const loader = ADDON_LOADERS.find(name => name in deps)
  if (loader)
    return `depends on ${loader}`
  let names: string[]
  try {
    names = readdirSync(dir)
  }
  catch {
    return undefined
  }
  if (names.includes('binding.gyp'))
    return 'binding.gyp'
  if (names.includes('prebuilds'))
    return 'prebuilds/'
  const addon = names.find(name => name.endsWith('.node'))
  return addon ? `ships ${addon}` : undefined
}

/** The project's own dependencies of every kind; a package's, those its code may import (optional ones apart). */
function dependencyNames(manifest: Record<string, unknown>, dev: boolean): string[] {
  return Object.keys({ ...record(manifest.dependencies), ...(dev ? { ...record(manifest.devDependencies), ...record(manifest.optionalDependencies) } : {}) })
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? value as Record<string, unknown> : {}
}

function readJson(path: string): Record<string, unknown> {
  try {
    return record(JSON.parse(readFileSync(path, 'utf8')))
  }
  catch {
    return {}
  }
}

function nearestPackageJson(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json')
    if (existsSync(path))
      return path
    if (dirname(dir) === dir)
      return undefined
  }
}

/** The real folder of package `name` as Node finds it from `from`; undefined when it is not installed. */
export function resolvePackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json')))
      return realpathSync(candidate)
    if (dirname(dir) === dir)
      return undefined
  }
}
