import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { isNodeBuiltin } from './unresolved'

/**
 * Packages a service bundle must not hold: native addons, whose `.node` binary no bundler can
 * inline, and whatever the `external` option names (packages that read their own files at run
 * time). Services import them by name, and the build ships them beside the bundles
 * (native-ship.ts). Docs: guide/native-dependencies.md.
 */
export interface NativePackages {
  /** Package names left external in the service bundles, sorted. */
  ids: string[]
  /** Why each is external: `binding.gyp`, `depends on bindings`, `external option`, … */
  reasons: Map<string, string>
}

/** Packages that load a compiled addon for the package that depends on them. */
const ADDON_LOADERS = ['bindings', 'node-gyp-build', 'node-gyp-build-optional-packages', 'prebuild-install', '@mapbox/node-pre-gyp', 'node-pre-gyp', 'cmake-js']

/**
 * Decides, import by import as the services are bundled, which packages to leave out of them.
 * Only the packages a service's code reaches are looked at (their `package.json` and the names at
 * their top), each once: walking the project's whole dependency graph up front read ~700 packages
 * for a project with Vite, Vitest and ESLint installed (~285 ms of every build), and a service
 * reaches a handful.
 */
export interface NativeDetector {
  /**
   * Whether `id`, imported from `importer` (a file; else from the project root), is a package to
   * leave external: a native addon as Node would resolve it from there, or one the `external`
   * option names. What it says yes to is kept for `found`.
   */
  isExternal: (id: string, importer: string | undefined) => boolean
  /** Every package it said yes to so far, with why: after the bundles, those the services import. */
  found: () => NativePackages
}

export function nativeDetector(root: string, forced: readonly string[] = []): NativeDetector {
  const reasons = new Map<string, string>()
  // Package folder → why it is native (undefined: it is not); import → the folder it resolves to.
  const markers = new Map<string, string | undefined>()
  const folders = new Map<string, string | undefined>()
  const folderOf = (name: string, from: string): string | undefined => {
    const key = `${from}\0${name}`
    if (!folders.has(key))
      folders.set(key, resolvePackageDir(name, from))
    return folders.get(key)
  }
  const markerOf = (dir: string): string | undefined => {
    if (markers.has(dir))
      return markers.get(dir)
    markers.set(dir, undefined)
    const manifest = readJson(join(dir, 'package.json'))
    let reason = addonMarker(dir, manifest)
    // napi-rs packages ship their binary in an optional dependency per platform.
    for (const name of Object.keys(record(manifest.optionalDependencies))) {
      const optional = reason === undefined ? folderOf(name, dir) : undefined
      if (optional && markerOf(optional))
        reason = `its binary is in ${name}`
    }
    markers.set(dir, reason)
    return reason
  }
  return {
    isExternal(id, importer) {
      const name = packageName(id)
      if (name === undefined)
        return false
      if (forced.includes(name)) {
        reasons.set(name, 'external option')
        return true
      }
      const dir = folderOf(name, importer !== undefined && isAbsolute(importer) ? dirname(importer) : root)
      const reason = dir === undefined ? undefined : markerOf(dir)
      if (reason === undefined)
        return false
      if (!reasons.has(name))
        reasons.set(name, reason)
      return true
    },
    found: () => ({ ids: [...reasons.keys()].sort(), reasons: new Map(reasons) }),
  }
}

/** The package a bare import names (`pkg`, `@scope/pkg`, from `pkg/sub/path`); undefined for paths, Node's modules and plugins' ids. */
export function packageName(id: string): string | undefined {
  if (!/^[\w@]/.test(id) || id.includes(':') || isNodeBuiltin(id))
    return undefined
  const parts = id.split('/')
  return id.startsWith('@') ? (parts.length > 1 ? `${parts[0]}/${parts[1]}` : undefined) : parts[0]
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
