import { existsSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { TOKEN_FILE } from '../deploy/token-file'

/**
 * Where a build's parts go. What a static host or a framework adapter publishes is `client`;
 * `servers` and `deploy` hold code and secrets and must never be inside it.
 * Rules and reasons: docs/guide/build-output.md.
 */
export interface OutputDirs {
  /** femto's folder: `servers/` and `deploy/` are in it, and `femto up <root>` runs it. */
  root: string
  /** The client build (the folder holding `index.html`). */
  client: string
  /** `<root>/<serversDir>`: the services, `router.js`, `femto.json`. */
  servers: string
  /** `<root>/deploy`. */
  deploy: string
}

/** Under Vite's `build.outDir`, the folder the client build moves to, as Vite's own SSR setups lay it out. */
export const CLIENT_DIR = 'client'
/** The folder, inside femto's root, that receives the deploy files. */
export const DEPLOY_DIR = 'deploy'
/**
 * What femto writes at its root for the servers only: never served or shipped as part of a
 * client build that is that root itself (a client folder of another name, or an older build).
 */
export function serversOnlyEntries(serversDir: string): string[] {
  return [serversDir, DEPLOY_DIR, TOKEN_FILE]
}

/** femto's root when nothing else names one: what `node dist/servers/<fn>.js` reads. */
const DEFAULT_ROOT = 'dist'

/**
 * The client environment's `build.outDir` under Vite, when femto moves it: only when it would be
 * femto's own folder (Vite's default `dist`, or `build.outDir: 'dist'`), the client build goes to
 * `<that folder>/client`. Any other client folder, the user's or a framework's (SvelteKit:
 * `.svelte-kit/output/client`, which its adapter copies), stays; the services go to femto's folder
 * beside it. `outDir` is the client environment's, once every plugin's `config` hook has run.
 */
export function viteClientOutDir(projectRoot: string, outDir: string | undefined, femtoOutDir: string | undefined): string | undefined {
  const root = resolve(projectRoot, femtoOutDir ?? DEFAULT_ROOT)
  return resolve(projectRoot, outDir ?? DEFAULT_ROOT) === root ? join(root, CLIENT_DIR) : undefined
}

/**
 * femto's root under Rollup, Rolldown, esbuild, webpack and Rspack, whose output folder is the
 * client folder and stays where the bundler config puts it: the `outDir` option; else, for an
 * output folder named `client`, its parent (`dist/client` → `dist/servers`, the layout Vite gets);
 * else `dist` of the project. An output folder that is `dist` itself is refused by `resolveOutputDirs`.
 */
export function bundlerRoot(projectRoot: string, bundlerOutDir: string, femtoOutDir: string | undefined): string {
  if (femtoOutDir !== undefined)
    return resolve(projectRoot, femtoOutDir)
  const out = resolve(projectRoot, bundlerOutDir)
  return basename(out) === CLIENT_DIR ? dirname(out) : resolve(projectRoot, DEFAULT_ROOT)
}

/**
 * The folders of one build, from femto's root and the client folder (relative paths from the
 * project root). Throws when the services or the deploy files would land inside the client
 * folder, or the client folder inside theirs (each build empties them).
 */
export function resolveOutputDirs(input: { projectRoot: string, root: string, client: string, serversDir: string }): OutputDirs {
  const root = resolve(input.projectRoot, input.root)
  const client = resolve(input.projectRoot, input.client)
  const dirs = { root, client, servers: join(root, input.serversDir), deploy: join(root, DEPLOY_DIR) }
  for (const [what, dir] of [['services', dirs.servers], ['deploy files', dirs.deploy]] as const) {
    if (within(dir, client) || within(client, dir)) {
      throw new Error(`[unplugin-femto] the ${what} would be written to ${shown(input.projectRoot, dir)}, `
        + `${within(dir, client) ? 'inside' : 'around'} the client build's folder ${shown(input.projectRoot, client)}, which is published as it is. `
        + `Give the client build a folder of its own (e.g. ${shown(input.projectRoot, join(root, CLIENT_DIR))}) or set femto's \`outDir\` to a folder outside it `
        + '(see docs/guide/build-output.md)')
    }
  }
  return dirs
}

/** The folders of a Rollup, Rolldown, esbuild, webpack or Rspack build writing to `bundlerOutDir`. */
export function bundlerOutputDirs(projectRoot: string, bundlerOutDir: string, options: { outDir?: string, serversDir: string }): OutputDirs {
  return resolveOutputDirs({ projectRoot, root: bundlerRoot(projectRoot, bundlerOutDir, options.outDir), client: bundlerOutDir, serversDir: options.serversDir })
}

/**
 * The folders of a Vite build, from its resolved config (`configResolved`): what the services'
 * build writes to (`root`) and what `vite preview` runs. An older `build.ssr` build (`vite build
 * --ssr`) builds no client and emits no services, so its folders are not checked.
 */
export function viteOutputDirs(config: { root: string, build: { ssr?: unknown }, environments: Record<string, { build: { outDir: string } }> }, options: { outDir?: string, serversDir: string }): OutputDirs {
  const root = resolve(config.root, options.outDir ?? DEFAULT_ROOT)
  const client = resolve(config.root, config.environments.client?.build.outDir ?? join(root, CLIENT_DIR))
  if (config.build.ssr)
    return { root, client, servers: join(root, options.serversDir), deploy: join(root, DEPLOY_DIR) }
  return resolveOutputDirs({ projectRoot: config.root, root, client, serversDir: options.serversDir })
}

/** Whether `path` is `dir` or inside it. */
export function within(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

function shown(projectRoot: string, dir: string): string {
  const rel = relative(projectRoot, dir)
  return rel === '' ? '.' : rel.startsWith('..') ? dir : `${rel}/`
}

/**
 * What `femto up` and `femto deploy` say of a folder with no build in it; of a client build
 * (`dist/client`, a common first guess), where femto's folder is.
 */
export function noBuildIn(command: string, outDir: string, serversDir: string): string {
  const parent = dirname(outDir)
  const beside = existsSync(join(parent, serversDir, 'femto.json'))
  const fix = beside
    ? `It is the client build: pass femto's folder, its parent (\`femto ${command} ${relative(process.cwd(), parent) || '.'}\`)`
    : 'Build the app first (e.g. `vite build`), then pass its output folder'
  return `femto ${command}: no ${serversDir}/femto.json in ${outDir}. ${fix}`
}
