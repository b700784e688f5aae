import type { BuildOptions, Plugin as EsbuildPlugin, ImportKind, Loader, Message, OnLoadArgs, OnLoadOptions, OnLoadResult, OnResolveArgs, OnResolveOptions, OnResolveResult, PartialMessage, PluginBuild, ResolveOptions, ResolveResult } from 'esbuild'
import type { ModuleTypes, PluginContext, ResolveIdExtraOptions, Plugin as RolldownPlugin } from 'rolldown'
import { AsyncLocalStorage } from 'node:async_hooks'
import { dirname, join } from 'node:path'

/**
 * esbuild plugins in the services' rolldown build. esbuild gives a plugin no hooks to call, only
 * a `build` to register callbacks on, so each plugin's `setup` runs once against a stand-in
 * `build` and its `onResolve`/`onLoad` callbacks become rolldown `resolveId`/`load` hooks.
 * What is and is not carried over: docs/guide/getting-started.md#what-reaches-the-services.
 */

// A module of a namespace other than `file` is `\0esbuild:<namespace>:<path>`: the `\0` keeps other plugins off it, as in Rollup.
const PREFIX = '\0esbuild:'

const withoutGlobal = (filter: RegExp): RegExp => new RegExp(filter.source, filter.flags.replace('g', ''))

interface Callback<O, A, R> {
  options: O
  /** `options.filter` without a `g` flag (whose lastIndex would carry over between tests), made once. */
  matches: RegExp
  callback: (args: A) => R | null | undefined | Promise<R | null | undefined>
}

type Resolver = Callback<OnResolveOptions, OnResolveArgs, OnResolveResult>
type Loaded = Callback<OnLoadOptions, OnLoadArgs, OnLoadResult>

// esbuild's loaders that mean the same in rolldown; `file` and `copy` write a file beside the
// output, which a one-file service does not have.
const MODULE_TYPES = new Set<Loader>(['js', 'jsx', 'ts', 'tsx', 'json', 'text', 'base64', 'dataurl', 'binary', 'empty', 'css'])

/** esbuild's `loader` setting (by extension) as rolldown's `moduleTypes`, where one means the other. */
export function moduleTypesOf(loader: BuildOptions['loader']): ModuleTypes {
  const types: ModuleTypes = {}
  for (const [extension, type] of Object.entries(loader ?? {})) {
    if (MODULE_TYPES.has(type))
      types[extension] = type as ModuleTypes[string]
  }
  return types
}

/** A plugin that sets rolldown's `moduleTypes` from esbuild's `loader`, or nothing when none maps. */
export function loaderPlugin(loader: BuildOptions['loader']): RolldownPlugin | undefined {
  const moduleTypes = moduleTypesOf(loader)
  if (Object.keys(moduleTypes).length === 0)
    return undefined
  return {
    name: 'femto:esbuild-loader',
    options(options) {
      return { ...options, moduleTypes: { ...moduleTypes, ...options.moduleTypes } }
    },
  }
}

function parseId(id: string): { namespace: string, path: string, suffix: string } {
  if (id.startsWith(PREFIX)) {
    const colon = id.indexOf(':', PREFIX.length)
    return { namespace: id.slice(PREFIX.length, colon), path: id.slice(colon + 1), suffix: '' }
  }
  const query = id.indexOf('?')
  return query < 0 ? { namespace: 'file', path: id, suffix: '' } : { namespace: 'file', path: id.slice(0, query), suffix: id.slice(query) }
}

const idOf = (namespace: string, path: string, suffix = ''): string => namespace === 'file' ? path + suffix : `${PREFIX}${namespace}:${path}`

function message(partial: PartialMessage, pluginName: string): Message {
  return { id: partial.id ?? '', pluginName: partial.pluginName ?? pluginName, text: partial.text ?? '', location: null, notes: [], detail: partial.detail }
}

function kindOf(extra: ResolveIdExtraOptions): ImportKind {
  if (extra.isEntry)
    return 'entry-point'
  const kind = extra.kind as string
  return kind === 'dynamic-import' || kind === 'require-call' || kind === 'import-rule' || kind === 'url-token' ? kind : 'import-statement'
}

/**
 * The rolldown plugin doing what one esbuild plugin's callbacks do, or undefined for a plugin
 * that registers none (one that only acts at `onEnd`, on the client's output).
 */
export async function fromEsbuildPlugin(plugin: EsbuildPlugin, initialOptions: BuildOptions): Promise<RolldownPlugin | undefined> {
  const resolvers: Resolver[] = []
  const loaders: Loaded[] = []
  const starts: (() => unknown)[] = []
  // `build.resolve` needs the hook's context; many services are bundled at once, each its own.
  const current = new AsyncLocalStorage<PluginContext>()
  // pluginData goes from a resolved path to its load, and from a load to the resolves of its imports.
  const resolvedData = new Map<string, unknown>()
  const loadedData = new Map<string, unknown>()
  const resolveDirs = new Map<string, string>()
  const cwd = initialOptions.absWorkingDir ?? process.cwd()

  const report = (context: PluginContext, result: { errors?: PartialMessage[], warnings?: PartialMessage[] }): void => {
    for (const warning of result.warnings ?? [])
      context.warn(`[${plugin.name}] ${warning.text ?? ''}`)
    const [error] = result.errors ?? []
    if (error)
      context.error(`[${plugin.name}] ${error.text ?? ''}`)
  }

  const build: PluginBuild = {
    // A copy: the host's build already ran with the original, and this plugin may change what it gets.
    initialOptions: { ...initialOptions },
    esbuild: await import('esbuild'),
    onResolve: (options, callback) => void resolvers.push({ options, matches: withoutGlobal(options.filter), callback }),
    onLoad: (options, callback) => void loaders.push({ options, matches: withoutGlobal(options.filter), callback }),
    onStart: callback => void starts.push(callback),
    // The end of the services' build is not the end of the client's that these callbacks expect.
    onEnd: () => {},
    onDispose: () => {},
    async resolve(path: string, options: ResolveOptions = {}): Promise<ResolveResult> {
      const context = current.getStore()
      if (!context)
        throw new Error(`[${plugin.name}] build.resolve() called outside an onResolve or onLoad callback: the services' build has no other time to resolve in`)
      const importer = options.importer
        ? idOf(options.namespace ?? 'file', options.importer)
        : join(options.resolveDir ?? cwd, '<esbuild-resolve>')
      const resolved = await context.resolve(path, importer, { kind: options.kind === 'dynamic-import' ? 'dynamic-import' : 'import-statement' })
      const where = resolved ? parseId(resolved.id) : undefined
      return {
        errors: resolved ? [] : [message({ text: `Could not resolve "${path}"` }, plugin.name)],
        warnings: [],
        path: where?.path ?? '',
        namespace: where?.namespace ?? '',
        suffix: where?.suffix ?? '',
        external: Boolean(resolved?.external),
        sideEffects: resolved?.moduleSideEffects !== false,
        pluginData: undefined,
      }
    },
  }
  await plugin.setup(build)
  if (resolvers.length === 0 && loaders.length === 0)
    return undefined
  // Once per services' build (not per service bundle), as esbuild calls them once per build.
  for (const start of starts)
    await start()

  const applies = ({ options, matches }: { options: { namespace?: string }, matches: RegExp }, path: string, namespace: string): boolean =>
    (options.namespace === undefined || options.namespace === namespace) && matches.test(path)

  return {
    name: `esbuild:${plugin.name}`,
    // No native filter: an import from a namespaced module needs this hook whatever it imports,
    // to resolve from the resolveDir its onLoad gave.
    async resolveId(source, importer, extra) {
      const from = importer ? parseId(importer) : undefined
      const namespace = from?.namespace ?? 'file'
      const resolveDir = !from ? cwd : from.namespace === 'file' ? dirname(from.path) : resolveDirs.get(importer!) ?? ''
      const args: OnResolveArgs = { path: source, importer: from?.path ?? '', namespace, resolveDir, kind: kindOf(extra), pluginData: importer ? loadedData.get(importer) : undefined, with: {} }
      for (const resolver of resolvers) {
        if (!applies(resolver, source, namespace))
          continue
        const result = await current.run(this, () => resolver.callback(args))
        if (!result)
          continue
        report(this, result)
        if (!result.path)
          continue
        if (result.external)
          return { id: result.path, external: true }
        const id = idOf(result.namespace ?? 'file', result.path, result.suffix)
        if (result.pluginData !== undefined)
          resolvedData.set(id, result.pluginData)
        return { id, moduleSideEffects: result.sideEffects }
      }
      // As esbuild does: what no callback resolved, from a namespaced module, resolves from its resolveDir.
      if (from && from.namespace !== 'file' && resolveDir)
        return this.resolve(source, join(resolveDir, '<esbuild-module>'), { kind: extra.kind, isEntry: extra.isEntry })
      return null
    },
    load: {
      // A file of the `file` namespace reaches this hook only if some onLoad filter may take it.
      filter: { id: [new RegExp(`^${PREFIX}`), ...loaders.filter(l => (l.options.namespace ?? 'file') === 'file').map(l => l.options.filter)] },
      async handler(id) {
        const { namespace, path, suffix } = parseId(id)
        const args: OnLoadArgs = { path, namespace, suffix, pluginData: resolvedData.get(id), with: {} }
        for (const onLoad of loaders) {
          if (!applies(onLoad, path, namespace))
            continue
          const result = await current.run(this, () => onLoad.callback(args))
          if (!result)
            continue
          report(this, result)
          if (result.contents === undefined)
            continue
          if (result.resolveDir)
            resolveDirs.set(id, result.resolveDir)
          if (result.pluginData !== undefined)
            loadedData.set(id, result.pluginData)
          // esbuild reads a namespaced module without a loader as JavaScript; a file, by its extension.
          const loader = result.loader ?? (namespace === 'file' ? 'default' : 'js')
          if (loader !== 'default' && !MODULE_TYPES.has(loader))
            this.error(`[${plugin.name}] onLoad of ${path} returned loader "${loader}", which has no equivalent in a one-file service bundle`)
          const code = typeof result.contents === 'string' ? result.contents : new TextDecoder().decode(result.contents)
          return loader === 'default' ? { code } : { code, moduleType: loader }
        }
        return null
      },
    },
  }
}
