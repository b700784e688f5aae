import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type RuntimeEntry = 'index' | 'server' | 'router' | 'context' | 'dev'

/** The ids generated code imports; the plugin resolves them to its own files, never to another copy. */
export const RUNTIME_IDS: Record<string, RuntimeEntry> = {
  'unplugin-femto/runtime': 'index',
  'unplugin-femto/runtime/server': 'server',
  'unplugin-femto/runtime/router': 'router',
  'unplugin-femto/context': 'context',
  'unplugin-femto/runtime/dev': 'dev',
}

/** The files those ids resolve to. */
export const RUNTIME_FILE = /[\\/](?:src|dist)[\\/]runtime[\\/](?:index|server|router|context|dev)\.[jt]s$/

const here = fileURLToPath(import.meta.url)
// Run from source (this repository's tests) the runtime is TypeScript; from the package, dist/runtime.
const fromSource = /\.[cm]?ts$/.test(here)

function packageRoot(): string {
  let dir = dirname(here)
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'unplugin-femto')
      return dir
    dir = dirname(dir)
  }
  throw new Error(`[unplugin-femto] internal error (a bug, please report it): no package.json above ${here}`)
}

const root = packageRoot()

/**
 * The plugin's own files (its published `dist/`, or `src/` when run from source): never a
 * femto module. The browser runtime's messages name the directive, so a plugin installed
 * outside `node_modules` (a linked checkout, as this repository's bench and tests use it) had
 * its runtime parsed by Babel in every client build (~70 ms of a cold one, in a profile).
 */
export const OWN_FILES = pathPrefix(join(root, fromSource ? 'src' : 'dist'))

/** Ids inside `dir`, with either separator (bundlers give Windows paths with `/`). */
function pathPrefix(dir: string): RegExp {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${dir.split(/[\\/]/).map(escape).join('[\\\\/]')}[\\\\/]`)
}

export function runtimeFile(entry: RuntimeEntry): string {
  return fromSource ? join(root, 'src/runtime', `${entry}.ts`) : join(root, 'dist/runtime', `${entry}.js`)
}

/** The runtime's entry files when they are the published JavaScript (which Node can import); none when run from source. */
export function builtRuntimeFiles(): string[] {
  return fromSource ? [] : Array.from(new Set(Object.values(RUNTIME_IDS)), runtimeFile)
}

/**
 * The docs page's Swagger UI files: shipped in the package (`dist/swagger-ui/`, see
 * tsdown.config.ts); run from source, from swagger-ui-dist, a dev dependency.
 */
export function swaggerUiDir(): string {
  return fromSource ? dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')) : join(root, 'dist/swagger-ui')
}

export function resolveRuntimeId(id: string): string | undefined {
  const entry = RUNTIME_IDS[id]
  return entry ? runtimeFile(entry) : undefined
}
