import type { UnpluginFactory } from 'unplugin'
import type { EnvironmentModuleNode, ViteBuilder } from 'vite'
import type { HostBuild } from '../build/host-plugins'
import type { ServicesBuild } from '../build/vite-services'
import type { AnalysisThread } from '../registry/analysis-thread'
import type { Options } from '../registry/options'
import type { TypesThread } from '../registry/types-thread'
import type { DevEdits } from './dev-server'
import type { OutputDirs } from './output-dirs'
import type { PreviewServices } from './preview'
import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { FEMTO_ENVIRONMENT, madeByBuilder, SERVICE_ENTRY } from '../build/femto-environment'
import { webpackAliases, webpackDefines } from '../build/host-plugins'
import { OWN_FILES, resolveRuntimeId, RUNTIME_FILE } from '../build/runtime-paths'
import { createContext } from '../registry/context'
import { isUsageError } from '../transform/errors'
import { DIRECTIVE, mayHaveDirective, SCRIPT_ID } from '../transform/precheck'
import { DEV_ENTRY, DEV_ENVIRONMENT, RESOLVED_DEV_ENTRY } from './dev-ids'
import { bundlerOutputDirs, viteClientOutDir, viteOutputDirs } from './output-dirs'
import { createPageCode } from './page-code'

/** TypeScript's programs on a thread of their own (types-thread.ts), loaded when first started. */
const startTypesThread = (): Promise<TypesThread | undefined> => import('../registry/types-thread').then(({ startTypesThread }) => startTypesThread())

/** An import of a module's text rather than its code (Vite's `?raw`, `?url`, `?inline`). */
const AS_TEXT = /\?(?:[^#]*&)?(?:raw|url|inline)(?:[&=#]|$)/

/**
 * Hook wiring only: the logic lives in the context (which functions exist and how each side
 * sees them) and in the server build.
 */
export const unpluginFactory: UnpluginFactory<Options | undefined> = (rawOptions, meta) => {
  const ctx = createContext(rawOptions)
  // The bundler's output folder; the services go to `<outDir>/<serversDir>`.
  let outDir: string | undefined
  let alias: Record<string, string> | undefined
  let define: Record<string, string> | undefined
  // The bundler's own plugins and settings that reach the services too (build/host-plugins.ts).
  let host: HostBuild | undefined
  let command: 'build' | 'serve' = 'build'
  // `vite build --watch`: a build's TypeScript thread stays for the rebuilds.
  let watching = false
  // Vite: where the client and the services go (output-dirs.ts); `vite preview`'s services (preview.ts).
  let viteRoot = ''
  let preview = false
  let viteDirs: OutputDirs | undefined
  let previewing: Promise<PreviewServices> | undefined
  let analysisThread: Promise<AnalysisThread | undefined> | undefined
  let scanned: Promise<unknown> = Promise.resolve()
  let failed = false
  // Vite: the services are an environment of the app's build, built by `buildApp` (vite-services.ts).
  let servicesBuild: ServicesBuild | undefined
  // vite dev: its handling of edits, and the code each module gave the page (page-code.ts).
  let devEdits: DevEdits | undefined
  const pageCode = createPageCode()
  // A build with several outputs (Rollup) writes the services once per output folder.
  const emitted = new Set<string>()
  // Vite, Rollup and Rolldown print an error's `frame` themselves; esbuild and webpack print only its message.
  const printsFrames = meta.framework === 'vite' || meta.framework === 'rollup' || meta.framework === 'rolldown'

  // The bundler reports usage errors with its own code frame and position.
  const report = (pluginContext: unknown, error: unknown): never => {
    failed = true
    const fail = (pluginContext as { error?: (e: object) => never }).error
    if (isUsageError(error) && fail)
      fail.call(pluginContext, { message: printsFrames ? error.headline : error.message, id: error.id, loc: error.loc, frame: error.frame })
    throw error
  }

  /**
   * Every bundler gets the same services: a second build (rolldown, from the same plugin core)
   * once the bundler has written its own output, since a service must be one standalone file
   * whatever the app's bundler does with chunks.
   */
  async function emitServers(dir: string | undefined, builder?: ViteBuilder): Promise<void> {
    if (failed || command !== 'build' || (await scanned) || ctx.registry.size === 0)
      return
    // Never inside the folder the client build is published from.
    const target = (viteDirs ?? bundlerOutputDirs(ctx.root, dir ?? 'dist', ctx.options)).root
    if (emitted.has(target))
      return
    emitted.add(target)
    const { buildServers } = await import('../build/build-servers')
    const bundler = builder && (await import('../build/vite-services')).viteServiceBundler(builder, ctx.plan(), ctx.root, ctx.options.cache, (build) => {
      servicesBuild = build
    })
    await buildServers(ctx, { outDir: target, alias, define, host, bundler, log: message => console.log(message) })
  }

  const fromBundler = (root: string | undefined, output: string | undefined): void => {
    if (root)
      ctx.setRoot(root)
    outDir = output
  }

  const outputDir = (output: { dir?: string, file?: string }): string | undefined => output.dir ?? (output.file ? dirname(output.file) : undefined)

  /**
   * A client build's source maps: the original text of each module with functions left out of
   * them (client-source-maps.ts). The output's folder is what the maps' sources are relative to.
   */
  async function leaveFunctionSourcesOut(bundle: object, output: { dir?: string, file?: string, sourcemap?: unknown }): Promise<void> {
    // Most builds make no maps: nothing to read, nothing to load.
    if (!output.sourcemap || ctx.registry.size === 0)
      return
    const ids = new Set(Array.from(ctx.registry.values(), fn => fn.id))
    const { leaveServerSourcesOut } = await import('../build/client-source-maps')
    leaveServerSourcesOut(bundle as Parameters<typeof leaveServerSourcesOut>[0], resolve(ctx.root, outputDir(output) ?? outDir ?? 'dist'), (file, tail) => tail ? [...ids].some(id => id.endsWith(file)) : ids.has(file))
  }

  // After every other plugin's: one that rewrites a chunk makes its map again from the modules'
  // text (Vite's preload rewrite, for a chunk with a dynamic import()).
  const lastOfGenerateBundle = {
    order: 'post' as const,
    handler(output: { dir?: string, file?: string, sourcemap?: unknown }, bundle: object) {
      return leaveFunctionSourcesOut(bundle, output)
    },
  }

  const transformFilter = { id: { include: [SCRIPT_ID], exclude: [/[\\/]node_modules[\\/]/, /^\0/, OWN_FILES] }, code: DIRECTIVE }
  /** The filter above is the pre-check where the bundler applies it; this is the same check where it does not. */
  const mayTransform = (code: string, id: string): boolean => SCRIPT_ID.test(id) && mayHaveDirective(code) && !OWN_FILES.test(id) && !ctx.isExcluded(id)

  /**
   * Vite bundles a Web Worker (`new Worker(new URL('./w.ts', import.meta.url))`) with plugins of
   * its own (`worker.plugins`): without this one there, a worker that imports a function got its
   * body, its secrets and its server imports. What a worker imports is public, as the page's.
   */
  const workerPlugin = {
    name: 'unplugin-femto:worker',
    enforce: 'pre' as const,
    // The stubs' runtime is this plugin's own, as in the page's build.
    resolveId: {
      filter: { id: /^unplugin-femto\/runtime$/ },
      handler: (id: string) => resolveRuntimeId(id),
    },
    transform: {
      filter: transformFilter,
      async handler(this: unknown, code: string, id: string) {
        if (!mayTransform(code, id))
          return undefined
        try {
          return await ctx.transformForClient(id, code, 'worker')
        }
        catch (error) {
          return report(this, error)
        }
      },
    },
    generateBundle: lastOfGenerateBundle,
  }

  /**
   * `import text from './prices.ts?raw'` (or `?url`, `?inline`) in a client build publishes the
   * module's text as it is, bodies and secrets included: a build error, not a quiet leak.
   */
  async function refuseAsText(pluginContext: unknown, id: string): Promise<undefined> {
    const environment = (pluginContext as any).environment as { config: { consumer: string } } | undefined
    if (command !== 'build' || servicesBuild || environment?.config.consumer === 'server')
      return undefined
    await scanned
    const file = id.slice(0, id.indexOf('?'))
    if ([...ctx.registry.values()].some(fn => fn.id === file)) {
      failed = true
      const shown = relative(ctx.root, file)
      ;(pluginContext as { error: (message: string) => never }).error(`[unplugin-femto] ${shown}${id.slice(id.indexOf('?'))} would publish the text of ${shown}, a module with femto functions (their bodies, and what only they use). Import the module itself, or move the text you need to a module without functions`)
    }
    return undefined
  }

  // Rollup and Rolldown: after each output is written, the services beside it.
  const afterOutput = (output: { dir?: string, file?: string }): Promise<void> => emitServers(outputDir(output))
  const fromCompiler = (compiler: { context: string, options: { output: { path?: string }, resolve?: { alias?: unknown }, plugins?: unknown[] } }): void => {
    fromBundler(compiler.context, compiler.options.output.path)
    // Loaders and plugins of webpack and Rspack cannot run in rolldown; their aliases and defines can.
    alias = webpackAliases(compiler.options)
    define = webpackDefines(compiler.options)
  }

  return {
    name: 'unplugin-femto',
    enforce: 'pre',
    buildStart() {
      // The dev server scans once, at its start; after that, edits update the registry one file at a time.
      // The services' environment builds after the client's, from that build's scan.
      if (command === 'serve' || servicesBuild)
        return
      failed = false
      emitted.clear()
      // A client build: what it imports is public, every other function internal (exposure.ts).
      ctx.clientImports.begin()
      // The scan (and type derivation) runs beside the bundler's own work; stub transforms and
      // the services' build wait for it. A cold build's first TypeScript program starts first, on
      // a thread of its own (Vite's was started by its config hook).
      const started = ctx.deriveEarly(startTypesThread, watching).catch(() => {})
      scanned = started.then(() => ctx.prepare()).then(() => undefined, (error: unknown) => error)
    },
    async buildEnd(error?: Error) {
      // Awaited here rather than after the bundle is written, so that a bad directive found only
      // by the scan is reported like any other build error, with its frame.
      const scanError = await scanned
      // Every module is transformed: no schema is wanted before the services' build.
      ctx.endEarlyDerivation()
      if (scanError && !error)
        report(this, scanError)
      // A watch rebuild: a module no longer in the graph no longer makes its functions public.
      const moduleIds = (this as { getModuleIds?: () => Iterable<string> }).getModuleIds
      if (!error && command === 'build' && !servicesBuild && moduleIds)
        ctx.clientImports.keepOnly((this as any).environment?.name ?? 'client', new Set(moduleIds.call(this)))
    },
    // esbuild (its onEnd), webpack and rspack (afterEmit); Vite and Rollup have their own below.
    async writeBundle() {
      await emitServers(outDir)
    },
    resolveId: {
      // A native filter: the bundler calls this hook only for the runtime's own ids.
      filter: { id: /^(?:unplugin-femto\/(?:runtime|context)|virtual:femto-dev(?:\?|$)|\0femto-service:)/ },
      handler(id) {
        if (id.startsWith(SERVICE_ENTRY))
          return servicesBuild?.entries.has(id) ? id : undefined
        if (id.startsWith(DEV_ENTRY))
          return RESOLVED_DEV_ENTRY + id.slice(DEV_ENTRY.length)
        const file = resolveRuntimeId(id)
        // The services' shared build leaves the runtime to each service's pass (second-pass.ts),
        // which reads it from disk: no plugin of the app has anything to do to it. 'absolute'
        // (Vite's and Rollup's, not in unplugin's type) keeps the path as it is in the chunks.
        return file && servicesBuild && (this as any).environment?.name === FEMTO_ENVIRONMENT ? { id: file, external: 'absolute' as unknown as true } : file
      },
    },
    load: {
      filter: { id: [RUNTIME_FILE, /^\0femto-dev(?:\?|$)/, /^\0femto-service:/, AS_TEXT] },
      async handler(id) {
        if (AS_TEXT.test(id))
          return refuseAsText(this, id)
        if (id.startsWith(SERVICE_ENTRY))
          return servicesBuild?.entries.get(id)
        if (id.startsWith(RESOLVED_DEV_ENTRY))
          return (await import('./dev-server')).devEntrySource(ctx)
        // esbuild puts what resolveId returned in the plugin's own namespace, which only the plugin can load.
        return meta.framework === 'esbuild' ? readFile(id, 'utf8') : undefined
      },
    },
    transform: {
      filter: transformFilter,
      async handler(code, id) {
        if (!mayTransform(code, id))
          return undefined
        const environment = (this as any).environment as { name: string, config: { consumer: string } } | undefined
        try {
          // In dev, server environments (the functions' own, and the app's SSR) host every function:
          // calls stay in-process, as no service runs beside the dev server.
          if (command === 'serve' && environment?.config.consumer === 'server')
            return await ctx.transformForServer(id, code, { has: name => ctx.registry.has(name) }, ctx.plan())
          // Every service in one build: each function's body and stub behind its flag, chosen per service after.
          if (servicesBuild && environment?.name === FEMTO_ENVIRONMENT)
            return await servicesBuild.graph.record(id, await ctx.transformForServices(id, code, servicesBuild.plan), source => (this as any).resolve(source, id))
          // Server-side code of the app itself (SSR) reaches the services over HTTP, as the browser does.
          if (environment?.config.consumer === 'server')
            return await ctx.transformForAppServer(id, code, environment.name)
          const result = await ctx.transformForClient(id, code, environment?.name)
          if (command === 'serve')
            pageCode.gave(id, result?.code)
          return result
        }
        catch (error) {
          // A page that could not import the module holds no code of it.
          if (command === 'serve')
            pageCode.gave(id, undefined)
          return report(this, error)
        }
      },
    },
    rollup: {
      options(inputOptions) {
        host = { bundler: 'rollup', plugins: inputOptions.plugins }
      },
      generateBundle: lastOfGenerateBundle,
      writeBundle: afterOutput,
    },
    rolldown: {
      options(inputOptions) {
        host = { bundler: 'rolldown', plugins: inputOptions.plugins }
        alias = inputOptions.resolve?.alias && Object.fromEntries(Object.entries(inputOptions.resolve.alias).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
        define = inputOptions.transform?.define
      },
      generateBundle: lastOfGenerateBundle,
      writeBundle: afterOutput,
    },
    esbuild: {
      config(options) {
        fromBundler(options.absWorkingDir, options.outdir ?? (options.outfile ? dirname(options.outfile) : undefined))
        // esbuild reads a relative alias from its working directory; the services' build, from anywhere.
        const base = options.absWorkingDir ?? process.cwd()
        alias = options.alias && Object.fromEntries(Object.entries(options.alias).map(([from, to]) => [from, /^\.\.?[\\/]/.test(to) ? resolve(base, to) : to]))
        define = options.define
        host = { bundler: 'esbuild', options }
      },
    },
    webpack: fromCompiler,
    rspack: fromCompiler,
    vite: {
      // One instance for every environment of a build: the services' environment uses the client's scan.
      sharedDuringBuild: true,
      async config(config, env) {
        viteRoot = resolve(config.root ?? '')
        // Known before configResolved: the directive check below reads `include` from it.
        ctx.setRoot(viteRoot)
        preview = env.isPreview === true
        // Before the user's own worker plugins, as this plugin goes before the app's (`enforce: 'pre'`).
        const userWorkerPlugins = config.worker?.plugins
        const worker = env.command === 'build' ? { worker: { plugins: () => [workerPlugin, typeof userWorkerPlugins === 'function' ? userWorkerPlugins() : userWorkerPlugins ?? []] } } : {}
        watching = Boolean(config.build?.watch)
        // `vite build --watch` rebuilds each environment alone and never calls buildApp again: the
        // services then follow each client build, as under the JS `build()` API.
        if (env.command === 'build' && !env.isPreview && !config.build?.ssr && !config.build?.watch && await ctx.hasDirective()) {
          // TypeScript loads, and its first program is made, while Vite resolves its config and starts the build.
          void ctx.deriveEarly(startTypesThread, false).catch(() => {})
          return {
            ...worker,
            // `vite build` calls buildApp only when the config has a builder.
            builder: {},
            environments: {
              [FEMTO_ENVIRONMENT]: (await import('../build/vite-services')).femtoEnvironment(() => ctx.root),
            },
          }
        }
        if (env.command === 'build')
          return worker
        if (env.command === 'serve' && !env.isPreview) {
          return {
            environments: {
              [DEV_ENVIRONMENT]: {
                consumer: 'server',
                dev: {
                  createEnvironment: async (name, config) => (await import('./dev-environment')).createDevEnvironment(name, config),
                },
              },
            },
          }
        }
      },
      // After every plugin's `config`: a framework's own client folder (SvelteKit's) is known by then.
      configEnvironment(name, config) {
        const outDir = name === 'client' ? viteClientOutDir(viteRoot, config.build?.outDir, ctx.options.outDir) : undefined
        return outDir === undefined ? undefined : { build: { outDir } }
      },
      async configurePreviewServer(server) {
        previewing = (await import('./preview')).serveBuiltServices(server, viteDirs!)
        await previewing
      },
      async closePreviewServer() {
        await (await previewing)?.close()
      },
      async closeServer() {
        await Promise.all([(await analysisThread)?.close(), ctx.closeTypesThread()])
      },
      configureServer(server) {
        // TypeScript's programs after a start the schema cache served, on a thread started when
        // the first is needed: loading TypeScript and parsing its libs (~1 s) never holds this one.
        ctx.deriveOn(startTypesThread)
        // Babel loads on its own thread while Vite starts: no call or edit waits for its load.
        const threadStarted = analysisThread = import('../registry/analysis-thread').then(({ startAnalysisThread }) => {
          const thread = startAnalysisThread()
          ctx.analyzeOn(thread)
          return thread
        })
        const scan = (): Promise<unknown> => (scanned = threadStarted.then(() => ctx.prepare()).then(() => undefined, (error: unknown) => error))
        void scan()
        return import('./dev-server').then(({ serveFunctionsInDev }) => {
          devEdits = serveFunctionsInDev(server, ctx, () => scanned, scan)
        })
      },
      // An edit that leaves the page's code as it was (a function's body) gets no update, so no
      // full reload: the page keeps its state, and the functions take the edit on the next call.
      async hotUpdate({ file, modules, read, timestamp }) {
        if (this.environment.name === DEV_ENVIRONMENT) {
          // The functions' runner has no HMR: the dev server imports them again on the next call
          // (dev-server.ts). Their modules are invalidated as Vite would, without its `page reload`
          // line for a page this environment does not have.
          const invalidated = new Set<EnvironmentModuleNode>()
          for (const mod of modules)
            this.environment.moduleGraph.invalidateModule(mod, invalidated, timestamp, true)
          return []
        }
        // Any other edit (a component, a style) goes to Vite at once, without waiting for the dev server.
        if (this.environment.config.consumer !== 'client' || !devEdits || !pageCode.holds(modules))
          return
        await devEdits.taken()
        const code = await read()
        if (!await pageCode.unchanged(modules, async id => mayHaveDirective(code) ? (await ctx.transformForClient(id, code))?.code : undefined))
          return
        // Said where Vite says `page reload` or `hmr update`, so that a save is seen to be taken.
        this.environment.logger.info(`femto update ${relative(viteRoot, file)} (the page keeps its state)`, { timestamp: true })
        return []
      },
      configResolved(config) {
        ctx.setRoot(config.root)
        command = config.command
        outDir = resolve(config.root, config.build.outDir)
        if (command === 'build' || preview)
          viteDirs = viteOutputDirs(config, ctx.options)
        alias = Object.fromEntries(config.resolve.alias.filter(a => typeof a.find === 'string').map(a => [a.find as string, a.replacement]))
        define = Object.fromEntries(Object.entries(config.define ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>
      },
      // Vite's own writeBundle runs per environment; the services follow the client's build.
      writeBundle() {},
      // What a browser may download: the server side's own output (SSR, the services) keeps its maps whole.
      generateBundle: {
        order: 'post',
        handler(output, bundle) {
          if ((this as any).environment?.config.consumer === 'server')
            return
          return leaveFunctionSourcesOut(bundle, output)
        },
      },
      // Vite's builder (`vite build`, createBuilder + buildApp): after the client (and a framework's
      // own environments), the services as one more environment of the same build.
      buildApp: {
        order: 'post',
        async handler(builder) {
          const client = builder.environments.client
          if (!builder.environments[FEMTO_ENVIRONMENT] || !client)
            return
          if (!client.isBuilt)
            await builder.build(client)
          await emitServers(client.config.build.outDir, builder)
        },
      },
      closeBundle: {
        sequential: true,
        async handler(error?: Error) {
          const environment = (this as any).environment as { config: { consumer: string, inlineConfig: object, build: { outDir: string } } } | undefined
          // With Vite's builder, buildApp builds the services; the JS `build()` API builds only the
          // client, so there the services are built as for the other bundlers.
          if (error || (environment && (environment.config.consumer !== 'client' || madeByBuilder(environment.config))))
            return
          await emitServers(environment ? environment.config.build.outDir : outDir)
        },
      },
    },
  }
}
