import type { OutputChunk, RolldownOutput } from 'rolldown'
import type { EnvironmentOptions, ViteBuilder } from 'vite'
import type { Plan } from '../registry/plan'
import type { ServiceBundler } from './build-servers'
import type { StandaloneTarget } from './second-pass'
import { hostedFlag } from '../registry/context'
import { bundleKey, chunksDigest, keepBundle, readCachedBundle } from './bundle-cache'
import { builders, FEMTO_ENVIRONMENT, SERVICE_ENTRY } from './femto-environment'
import { moduleRelativeFilesPlugin } from './module-relative-files'
import { graphPlugin, ServiceGraph } from './service-graph'

/** What the plugin's hooks need while the femto environment builds. */
export interface ServicesBuild {
  /** Each entry's source, by its id. */
  entries: Map<string, string>
  /** One plan for every module's stubs (their facts are cached by plan). */
  plan: Plan
  /** Takes each directive module's transform: which services load what it imports. */
  graph: ServiceGraph
}

/**
 * The femto environment: the app's server-side pipeline (its plugins, `define`, `resolve`,
 * `import.meta.env` as Vite's SSR build gives it), with every dependency bundled so a service
 * runs with nothing installed. Nothing is written: the second pass makes each service's file.
 * `root`: the project's, which warnings name files from.
 */
export function femtoEnvironment(root: () => string): EnvironmentOptions {
  return {
    consumer: 'server',
    resolve: { noExternal: true },
    build: {
      write: false,
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      emitAssets: false,
      reportCompressedSize: false,
      async createEnvironment(name, config) {
        builders.add(config.inlineConfig)
        return new (await import('vite')).BuildEnvironment(name, config)
      },
      // The real inputs are known only after the scan (viteServiceBundler). One file per module,
      // so that a service's pass can leave out whole modules it does not load (service-graph.ts).
      rolldownOptions: {
        input: {},
        plugins: [graphPlugin(), moduleRelativeFilesPlugin(root, { templatesBundled: true })],
        output: {
          preserveModules: true,
          entryFileNames: chunk => (chunk.facadeModuleId?.startsWith(SERVICE_ENTRY) ? '[name].js' : 'modules/[name].js'),
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  }
}

/**
 * Every service in one Vite build (each module transformed once, with each function behind its
 * flag), then each service's standalone file from that build's chunks (second-pass.ts).
 * Measured (issue 15's spike): 200 services 2.4-3.1 s; 1000, 23-27 s, most of it the second pass.
 * The shared build of 1000 functions in one file takes 1.3-2.7 s of that; the rest is 1000
 * second passes, each parsing the module of all 1000 functions again (design record 0038).
 */
export function viteServiceBundler(builder: ViteBuilder, plan: Plan, root: string, cache: boolean, during: (build: ServicesBuild | undefined) => void): ServiceBundler {
  return async (targets, native) => {
    const environment = builder.environments[FEMTO_ENVIRONMENT]
    if (!environment)
      throw new Error(`[unplugin-femto] internal error (a bug, please report it): no '${FEMTO_ENVIRONMENT}' environment in this Vite build`)
    const options = environment.config.build.rolldownOptions
    options.input = Object.fromEntries(targets.map(t => [t.name, SERVICE_ENTRY + t.name]))
    // Native addons (native-detect.ts) stay out of the shared build, found as it meets them.
    // The runtime (and Express, which only its router imports) is the plugin's resolveId's: left
    // to each service's pass.
    options.external = (id: string, importer: string | undefined) => native.isExternal(id, importer)
    // Vite stops at the first import nothing resolved and cannot say which service reaches it; the
    // second pass fails the bundles that still import it, naming their functions.
    const importerOf = new Map<string, string>()
    options.onLog = (level, log, handler) => {
      if (log.code === 'UNRESOLVED_IMPORT' && log.exporter) {
        if (log.id && !importerOf.has(log.exporter))
          importerOf.set(log.exporter, log.id)
        return
      }
      handler(level, log)
    }
    const graph = new ServiceGraph(environment)
    during({ entries: new Map(targets.map(t => [SERVICE_ENTRY + t.name, t.entry])), plan, graph })
    let output: RolldownOutput | RolldownOutput[]
    try {
      output = await builder.build(environment) as RolldownOutput | RolldownOutput[]
    }
    finally {
      during(undefined)
    }
    const code = new Map<string, string>()
    for (const result of Array.isArray(output) ? output : [output]) {
      for (const item of result.output) {
        if (item.type === 'chunk')
          code.set(item.fileName, (item as OutputChunk).code)
      }
    }
    const chunks = { code, importerOf, root }
    const { standalone } = await import('./second-pass')
    const digest = cache ? chunksDigest(chunks) : undefined
    return async (target) => {
      const hosted = new Set(Array.from(target.hosted, hostedFlag))
      const standaloneTarget: StandaloneTarget = {
        file: `${target.name}.js`,
        hosts: flag => hosted.has(flag),
        loads: graph.filesLoaded(SERVICE_ENTRY + target.name, flag => hosted.has(flag)),
        external: [...target.external, ...native.found().ids],
        who: target.label,
      }
      if (digest === undefined)
        return { code: await standalone(chunks, standaloneTarget) }
      const key = bundleKey(digest, standaloneTarget, hosted)
      const kept = readCachedBundle(root, standaloneTarget.file, key)
      if (kept)
        return { kept }
      const code = await standalone(chunks, standaloneTarget)
      return { code, written: (file, facts) => keepBundle(root, standaloneTarget.file, key, file, code, facts) }
    }
  }
}
