import type { BuildOptions, Plugin as EsbuildPlugin } from 'esbuild'
import type { Plugin as RolldownPlugin } from 'rolldown'
import { fromEsbuildPlugin, loaderPlugin } from './esbuild-plugins'

/**
 * What the app's own bundler had that the services' rolldown build gets too, beside the string
 * aliases and defines it already takes. The rule, per bundler, is documented in
 * docs/guide/getting-started.md#what-reaches-the-services.
 */
export type HostBuild = RollupHost | { bundler: 'esbuild', options: BuildOptions }

/** Rollup and Rolldown: `plugins` as the input options held it (nested arrays, promises, falsy entries). */
interface RollupHost { bundler: 'rollup' | 'rolldown', plugins: unknown }

// Our own plugin builds the services; it must not run inside that build again.
const OURS = /^(?:unplugin-femto|femto:)/

// Plugins for what rolldown does itself (Node resolution, CommonJS, JSON, TypeScript). They are
// configured for the client: node-resolve's `browser`, a compiler's browser target.
const BUILT_INTO_ROLLDOWN = new Set(['node-resolve', 'commonjs', 'json', 'typescript', 'rpt2', 'esbuild', 'swc', 'sucrase'])

// A plugin acts on modules only through these; one without any (terser, html, copy, delete,
// visualizer) is about the client's output and is left out.
const MODULE_HOOKS = ['resolveId', 'resolveDynamicImport', 'load', 'transform'] as const

// Of a plugin that is taken, only its build-phase hooks: its output hooks (renderChunk,
// generateBundle, writeBundle, closeBundle, ...) would act on the services as if they were the
// client's output, and `options` could change the services' own input.
const BUILD_HOOKS = ['buildStart', 'buildEnd', 'moduleParsed', ...MODULE_HOOKS] as const

async function flatten(plugins: unknown): Promise<Record<string, unknown>[]> {
  const value = await plugins
  if (Array.isArray(value))
    return (await Promise.all(value.map(flatten))).flat()
  return value && typeof value === 'object' ? [value as Record<string, unknown>] : []
}

/** The user's Rollup or Rolldown plugins that the services' build runs, with their build-phase hooks only. */
export async function fromRollupPlugins(plugins: unknown): Promise<RolldownPlugin[]> {
  const kept: RolldownPlugin[] = []
  for (const plugin of await flatten(plugins)) {
    const name = typeof plugin.name === 'string' ? plugin.name : ''
    if (OURS.test(name) || BUILT_INTO_ROLLDOWN.has(name) || !MODULE_HOOKS.some(hook => plugin[hook]))
      continue
    const taken: Record<string, unknown> & { name: string } = { name }
    // `api` is how plugins talk to each other (this.resolve's custom options, alias and node-resolve).
    for (const key of [...BUILD_HOOKS, 'api'] as const) {
      if (plugin[key] !== undefined)
        taken[key] = plugin[key]
    }
    kept.push(taken as RolldownPlugin)
  }
  return kept
}

async function fromEsbuild(options: BuildOptions): Promise<RolldownPlugin[]> {
  const plugins = (options.plugins ?? []).filter((plugin: EsbuildPlugin) => !OURS.test(plugin.name))
  const adapted = await Promise.all(plugins.map(plugin => fromEsbuildPlugin(plugin, options)))
  return [loaderPlugin(options.loader), ...adapted].filter(plugin => plugin !== undefined)
}

// Once per host build, not per service bundle: an esbuild plugin's setup and onStart run once.
const adapted = new WeakMap<HostBuild, Promise<RolldownPlugin[]>>()

/** The plugins to add, after our own, to each service's rolldown build. */
export function hostPlugins(host: HostBuild | undefined): Promise<RolldownPlugin[]> {
  if (!host)
    return Promise.resolve([])
  let plugins = adapted.get(host)
  if (!plugins) {
    plugins = host.bundler === 'esbuild' ? fromEsbuild(host.options) : fromRollupPlugins(host.plugins)
    adapted.set(host, plugins)
  }
  return plugins
}

interface WebpackLikeOptions {
  resolve?: { alias?: unknown }
  plugins?: unknown[]
}

/** webpack's and Rspack's `resolve.alias`, where a key maps to one path (rolldown's resolver reads them as webpack's does). */
export function webpackAliases(options: WebpackLikeOptions): Record<string, string> {
  const alias = options.resolve?.alias
  const entries: [string, unknown][] = Array.isArray(alias)
    ? alias.map(({ name, alias: to, onlyModule }: { name: string, alias: unknown, onlyModule?: boolean }) => [onlyModule ? `${name}$` : name, to])
    : Object.entries(alias ?? {})
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}

/**
 * The definitions of every DefinePlugin in the config, flattened as webpack reads them
 * (`{ 'process.env': { A: '1' } }` defines `process.env.A`). Values computed at compile time
 * (`DefinePlugin.runtimeValue`) cannot be read ahead and are left out.
 */
export function webpackDefines(options: WebpackLikeOptions): Record<string, string> {
  const defines: Record<string, string> = {}
  const add = (prefix: string, definitions: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(definitions)) {
      const name = prefix + key
      if (typeof value === 'string')
        defines[name] = value
      else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined)
        defines[name] = String(value)
      else if (value instanceof RegExp)
        defines[name] = value.toString()
      else if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
        add(`${name}.`, value as Record<string, unknown>)
    }
  }
  for (const plugin of options.plugins ?? []) {
    // webpack keeps them in `definitions`, Rspack in the constructor's arguments.
    const found = plugin as { constructor?: { name?: string }, definitions?: Record<string, unknown>, _args?: [Record<string, unknown>] } | null
    if (found?.constructor?.name === 'DefinePlugin')
      add('', found.definitions ?? found._args?.[0] ?? {})
  }
  return defines
}
