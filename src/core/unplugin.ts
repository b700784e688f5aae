import type { UnpluginFactory } from 'unplugin'
import type { Options } from './options'
import { resolve } from 'node:path'
import { createContext } from './context'
import { DIRECTIVE, mayHaveDirective, SCRIPT_ID } from './precheck'
import { resolveRuntimeId } from './runtime-paths'

/**
 * Hook wiring only: the logic lives in the context (which functions exist and how each side
 * sees them) and in the server build.
 */
export const unpluginFactory: UnpluginFactory<Options | undefined> = (rawOptions, meta) => {
  const ctx = createContext(rawOptions)
  let outDir = resolve('dist')
  let alias: Record<string, string> | undefined
  let define: Record<string, string> | undefined
  let command: 'build' | 'serve' = 'build'
  let scanned: Promise<unknown> = Promise.resolve()

  // The bundler reports usage errors with its own code frame and position.
  const report = (pluginContext: unknown, error: unknown): never => {
    const fail = (pluginContext as { error?: (e: object) => never }).error
    // Duck-typed: the class lives in the lazily loaded engine.
    if (error instanceof Error && error.name === 'FemtoUsageError' && fail)
      fail.call(pluginContext, { message: (error as any).headline, id: (error as any).id, loc: (error as any).loc, frame: (error as any).frame })
    throw error
  }

  return {
    name: 'unplugin-femto',
    enforce: 'pre',
    buildStart() {
      if (meta.framework !== 'vite')
        throw new Error(`[unplugin-femto] ${meta.framework} is not supported yet: use unplugin-femto/vite`)
      // The scan (and type derivation) runs beside the bundler's own work; stub transforms and
      // the services' build wait for it.
      scanned = ctx.prepare().then(() => undefined, (error: unknown) => error)
    },
    async buildEnd(error?: Error) {
      // Awaited here rather than in closeBundle, so that a bad directive found only by the scan
      // is reported like any other build error, with its frame.
      const scanError = await scanned
      if (scanError && !error)
        report(this, scanError)
    },
    resolveId: {
      // A native filter: the bundler calls this hook only for the runtime's own ids.
      filter: { id: /^unplugin-femto\/(?:runtime|context)/ },
      handler(id) {
        return resolveRuntimeId(id)
      },
    },
    transform: {
      filter: { id: { include: [SCRIPT_ID], exclude: [/[\\/]node_modules[\\/]/, /^\0/] }, code: DIRECTIVE },
      async handler(code, id) {
        // The filter above is the pre-check where the bundler applies it; this is the same check where it does not.
        if (!SCRIPT_ID.test(id) || !mayHaveDirective(code) || ctx.isExcluded(id))
          return undefined
        const environment = (this as any).environment as { config: { consumer: string } } | undefined
        try {
          // Server-side code of the app itself (SSR) reaches the services over HTTP, as the browser does.
          return environment?.config.consumer === 'server'
            ? await ctx.transformForServer(id, code, new Set(), ctx.plan())
            : await ctx.transformForClient(id, code)
        }
        catch (error) {
          return report(this, error)
        }
      },
    },
    vite: {
      configResolved(config) {
        ctx.setRoot(config.root)
        command = config.command
        outDir = resolve(config.root, config.build.outDir)
        alias = Object.fromEntries(config.resolve.alias.filter(a => typeof a.find === 'string').map(a => [a.find as string, a.replacement]))
        define = Object.fromEntries(Object.entries(config.define ?? {}).filter(([, v]) => typeof v === 'string')) as Record<string, string>
      },
      closeBundle: {
        sequential: true,
        async handler(error?: Error) {
          if (error)
            return
          const environment = (this as any).environment as { name: string, config: { consumer: string, build: { outDir: string } } } | undefined
          if (command !== 'build' || (environment && environment.config.consumer !== 'client'))
            return
          if ((await scanned) || ctx.registry.size === 0)
            return
          const dir = environment ? resolve(ctx.root, environment.config.build.outDir) : outDir
          const { buildServers } = await import('./build-servers')
          await buildServers(ctx, { outDir: dir, alias, define, log: message => console.log(message) })
        },
      },
    },
  }
}
