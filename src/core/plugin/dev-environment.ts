import type { ResolvedConfig, RunnableDevEnvironment } from 'vite'
import type { ModuleRunner } from 'vite/module-runner'
import { dirname, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { builtRuntimeFiles } from '../build/runtime-paths'
import { runningVite } from './running-vite'

/**
 * The environment that runs the femto functions in `vite dev`. Made by the Vite that runs the
 * server (Astro 5 runs its own Vite 6 beside the app's), as Vite makes a runnable one, but for
 * two costs its runner would add to the first call of every dev session:
 * - the published runtime (~150 kB of JavaScript) is imported by Node, as any installed package
 *   a server imports, instead of being transformed, source-mapped and evaluated by the runner
 *   (one instance still: the functions' own imports of the runtime resolve to the same files);
 * - `import.meta.resolve` is made when a module calls it, not for every module the runner
 *   evaluates: on Node < 22.15 Vite registers a module hook for it, which starts Node's loader
 *   thread (~90 ms, blocking) and sends every later `import()` of the process through it.
 */
export async function createDevEnvironment(name: string, config: ResolvedConfig): Promise<RunnableDevEnvironment> {
  const vite = await runningVite()
  const environment = vite.createRunnableDevEnvironment(name, config, {
    // No HMR in this runner: the dev server decides when to import the functions again
    // (dev-server.ts), and Vite's own full reload would only report the same error twice.
    runnerOptions: { hmr: false },
    runner: (env, options) => resolvingOnDemand(vite.createServerModuleRunner(env, options)),
  })
  const native = nativeRuntimeUrls(config.root, vite.normalizePath)
  if (native.size > 0) {
    const fetchModule = environment.fetchModule.bind(environment)
    environment.fetchModule = (url, importer, options) => {
      const file = native.get(url)
      return file === undefined ? fetchModule(url, importer, options) : Promise.resolve({ externalize: file, type: 'module' })
    }
  }
  return environment
}

/**
 * The URLs under which the runner asks for the runtime's entry files (root-relative inside the
 * root, `/@fs/…` outside it), each to its file URL. None when the runtime is TypeScript (this
 * repository's tests run the plugin from source), which Node cannot import.
 */
function nativeRuntimeUrls(root: string, normalize: (path: string) => string): Map<string, string> {
  const urls = new Map<string, string>()
  for (const file of builtRuntimeFiles()) {
    const href = pathToFileURL(file).href
    const path = normalize(file)
    urls.set(path, href)
    urls.set(`/@fs${path.startsWith('/') ? '' : '/'}${path}`, href)
    const inside = normalize(relative(root, file))
    if (!inside.startsWith('..'))
      urls.set(`/${inside}`, href)
  }
  return urls
}

type ImportMetaMaker = NonNullable<ModuleRunner['options']['createImportMeta']>

/** The runner's `import.meta`, with the parts that need Vite's resolver hook made on first use. */
function resolvingOnDemand(runner: ModuleRunner): ModuleRunner {
  const full = runner.options.createImportMeta
  // An older Vite makes it asynchronously: its parts cannot be made on a synchronous first use.
  if (full === undefined || full.constructor.name === 'AsyncFunction')
    return runner
  runner.options.createImportMeta = (modulePath) => {
    let made: ReturnType<ImportMetaMaker> | undefined
    const whole = (): any => made ??= full(modulePath)
    const url = pathToFileURL(modulePath).href
    // Vite's transform of a module that reads `import.meta.env` as a whole sets it first.
    let env: unknown
    return {
      url,
      filename: fileURLToPath(url),
      dirname: dirname(fileURLToPath(url)),
      main: false,
      get env() {
        return env ?? whole().env
      },
      set env(value) {
        env = value
      },
      resolve: (specifier: string, parent?: string) => whole().resolve(specifier, parent),
      glob: (...args: unknown[]) => whole().glob(...args),
    } as Awaited<ReturnType<ImportMetaMaker>>
  }
  return runner
}
