import type { DeployOptions, ResolvedDeployOptions } from '../deploy/options'
import type { FunctionPolicy, ResolvedPolicy } from './policy'
import { resolveDeployOptions } from '../deploy/options'
import { isValidServiceName } from '../transform/names'
import { DEFAULT_POLICY, resolvePolicy } from './policy'
import { resolveSkewWindow } from './skew-window'

export type { DeployOptions } from '../deploy/options'
export type { FunctionPolicy, ResolvedPolicy } from './policy'
export { parseSize } from './policy'

export interface Options {
  /**
   * The project root: where `include`, `exclude`, `auth` and the paths in `femto.json` start.
   * @default Vite's `root`; esbuild's `absWorkingDir`; webpack's and rspack's `context`; else `process.cwd()`
   */
  root?: string
  /**
   * Files whose femto functions are services even if no browser code imports them.
   * Functions reached through the module graph are services too.
   * @default ['src/**\/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}']
   */
  include?: string | string[]
  /**
   * Files never scanned or transformed.
   * @default ['**\/node_modules/**', '**\/*.d.ts']
   */
  exclude?: string | string[]
  /**
   * URL prefix of every function: `POST {basePath}/{name}`. Slashes at either end are trimmed
   * (`'api/'` is `/api`); `'/'` is refused, as it would put functions beside the app's own pages.
   * @default '/femto'
   */
  basePath?: string
  /**
   * First port of the range the manifest assigns services from (`basePort + 1 … basePort + 4999`,
   * by a hash of the service name, so ports stay put when functions are added).
   * The monolith server takes `basePort` itself.
   * @default 3100
   */
  basePort?: number
  /**
   * `'split'`: one standalone service per function. `'monolith'`: one server with every function.
   * @default 'split'
   */
  mode?: 'split' | 'monolith'
  /**
   * Functions served together by one service (split mode): `{ billing: ['charge', 'refund'] }`
   * builds `billing.js` serving both, and calls between them stay in-process. A group name
   * becomes a file name, a port and `FEMTO_URL_<NAME>`, so it is an ASCII identifier other than
   * `router` and `monolith`; a function is in one group at most, and a member that names no
   * function is a build error.
   * @default {}
   */
  groups?: Record<string, string[]>
  /**
   * Folder, inside femto's output folder (`outDir`), that receives the services, `router.js`
   * and `femto.json`.
   * @default 'servers'
   */
  serversDir?: string
  /**
   * femto's output folder, from the project root: it receives `<serversDir>/` and `deploy/`;
   * `femto up` and `femto deploy` take it. Never inside the client build's folder (the build
   * fails if it would be). Under Vite, a client build that would be this folder itself (Vite's
   * default `dist`) moves to `<outDir>/client`; any other client folder, the user's or a
   * framework's (SvelteKit's), stays. Under the other bundlers, whose output folder is the client
   * build's, the default is the parent of an output folder named `client`, else `dist`. Rules per
   * bundler: [Build output](../guide/build-output.md).
   * @default 'dist'
   */
  outDir?: string
  /** Policy of every function; a policy directive next to a function overrides it. */
  defaults?: FunctionPolicy
  /**
   * Policy per function name; overrides both `defaults` and the function's policy directive.
   * A name that matches no function is reported as a warning (a typo would otherwise be silent).
   */
  functions?: Record<string, FunctionPolicy>
  /**
   * Derive JSON Schema from each function's TypeScript types at build time: services check
   * arguments against it (400 `INVALID_ARGUMENT`), `openapi.json` describes it, and contracts
   * hash it. `false` skips the TypeScript program (faster builds; no checks, open schemas).
   * @default true
   */
  types?: boolean
  /**
   * Keep derived schemas between builds and dev-server starts, in
   * `node_modules/.cache/unplugin-femto/schemas-*.json`. An entry is used only while every file
   * its functions' types were derived from (their modules, what those import, declaration files,
   * `package.json` files, the tsconfig and what it `extends`) has the same content (for the
   * project's own TypeScript modules, the same content outside the bodies of fully annotated
   * functions and the values of private constants only those use), no file appeared where
   * module resolution looked, and TypeScript and the plugin are the same
   * versions; then no TypeScript program is created. Each module's analysis (which functions
   * it declares, and where) is kept beside them, in `analyses/`, by its text and the plugin's
   * version: a build in which no module with the directive changed does not parse them (nor load
   * Babel). Under Vite, each service's file is kept too, in `bundles/`, by everything it is
   * made from (the shared build's output, the plugin's runtime files, the service's functions,
   * rolldown's and the plugin's versions): a build that changed nothing a service is made of
   * does not bundle it again.
   * `false` derives, parses and bundles on every build.
   * @default true
   */
  cache?: boolean
  /**
   * Copy the docs page (Swagger UI, ~1.5 MB) into `<serversDir>/docs/`, served at `GET /docs`
   * by the router and by `femto up`.
   * @default true
   */
  docs?: boolean
  /**
   * Origins other than the app's own whose pages may call the functions from a browser
   * (answered with CORS headers); every other cross-origin browser call is refused with 403.
   * `FEMTO_ALLOWED_ORIGINS` adds more at run time.
   * @default []
   */
  allowedOrigins?: string[]
  /**
   * Module (path from the project root) whose default export is the auth hook of every function
   * without its own (`'femto auth=<binding>'`): `(request) => boolean | Promise<boolean>`, run
   * for calls from outside (browsers, through the gateway or the router).
   */
  auth?: string
  /**
   * Print the table of services after each build, and which services changed since the
   * previous build in the same output folder.
   * @default true
   */
  summary?: boolean
  /**
   * How long a function's previous version stays served after a build changes its contract
   * (its parameter or result types): a page loaded before the deploy keeps calling the version
   * it was built against, and a fresh page the new one. A number of ms or `'30s'`, `'90m'`,
   * `'24h'`, `'7d'`; `0` keeps none (old pages get `STALE_CLIENT` at once). The default covers a
   * tab left open over a working day and a night, and daily deploys, at the cost of one more
   * process per changed contract; see [Version skew](../guide/version-skew.md).
   * @default '24h'
   */
  skewWindow?: number | string
  /**
   * Files a function needs at run time (configuration, data), per function name: paths or globs
   * from the project root, e.g. `{ quote: ['config/prices.json', 'data/*.csv'] }`. Each is copied
   * to `<serversDir>/<same path>`, next to the bundles, and into the image of the function's
   * service; `femtoFile('config/prices.json')` from `unplugin-femto/runtime/server` finds it, built or not.
   * @default {}
   */
  files?: Record<string, string | string[]>
  /**
   * Packages that services import instead of bundling, shipped beside them: for packages that
   * read their own files at run time, or native addons the build does not detect. Native addons
   * (a `binding.gyp`, a `.node` file, a dependency on `bindings`, `node-gyp-build`,
   * `prebuild-install` or `node-pre-gyp`, …) are external without being named here. Each is traced
   * with its dependencies into `<serversDir>/node_modules/` and into the images of the services
   * that import it; see [Native dependencies](../guide/native-dependencies.md).
   * @default []
   */
  external?: string[]
  /**
   * Write `<outDir>/deploy/` with each build: Dockerfiles, `docker-compose.yml` and Kubernetes
   * manifests (`femto deploy` writes the same from an existing build). `true` for the defaults.
   * @default false
   */
  deploy?: boolean | DeployOptions
}

export interface ResolvedOptions {
  /** As given; the bundler's root when undefined. */
  root: string | undefined
  include: string[]
  exclude: string[]
  basePath: string
  basePort: number
  mode: 'split' | 'monolith'
  groups: Record<string, string[]>
  serversDir: string
  /** As given; undefined: the bundler's rules (output-dirs.ts). */
  outDir: string | undefined
  defaults: ResolvedPolicy
  functions: Record<string, FunctionPolicy>
  summary: boolean
  /** `skewWindow`, in ms. */
  skewWindowMs: number
  types: boolean
  cache: boolean
  docs: boolean
  allowedOrigins: string[]
  /** As given (resolved against the root by the build). */
  auth: string | undefined
  /** Patterns per function name, as given (matched from the root by the build). */
  files: Record<string, string[]>
  /** Package names, checked. */
  external: string[]
  /** Undefined when the build writes no deploy files. */
  deploy: ResolvedDeployOptions | undefined
  /**
   * The policy of one function: `functions[name]` over the policy directive in its source
   * (`source`) over `defaults`.
   */
  policyOf: (name: string, source?: FunctionPolicy) => ResolvedPolicy
}

const toArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value])

function resolveGroups(groups: Record<string, string[]>): Record<string, string[]> {
  const owner = new Map<string, string>()
  for (const [group, members] of Object.entries(groups)) {
    if (!isValidServiceName(group))
      throw new Error(`[unplugin-femto] groups.${group}: a group name becomes a file name, a port and FEMTO_URL_<NAME>, so it must be an ASCII identifier other than router and monolith`)
    if (!Array.isArray(members) || members.length === 0)
      throw new Error(`[unplugin-femto] groups.${group}: list the functions it serves, e.g. { ${group}: ['charge', 'refund'] }`)
    for (const member of members) {
      const other = owner.get(member)
      if (other)
        throw new Error(`[unplugin-femto] groups: '${member}' is in both '${other}' and '${group}'; a function is served by one service`)
      owner.set(member, group)
    }
  }
  return groups
}

function resolveOrigins(origins: string[]): string[] {
  return origins.map((origin) => {
    let url: URL | undefined
    try {
      url = new URL(origin)
    }
    catch {}
    if (!url || url.origin === 'null' || url.origin !== origin.replace(/\/$/, ''))
      throw new Error(`[unplugin-femto] allowedOrigins: '${origin}' is not an origin; write scheme, host and port only, e.g. 'https://app.example.com'`)
    return url.origin
  })
}

/** A folder below the project root: femto empties its `servers/` and `deploy/` on every build. */
function resolveOutDir(outDir: string | undefined): string | undefined {
  if (outDir === undefined)
    return undefined
  const normal = typeof outDir === 'string' ? outDir.replace(/\\/g, '/').replace(/^(?:\.\/)+|\/+$/g, '') : ''
  if (normal === '' || normal === '.' || normal.split('/').includes('..'))
    throw new Error(`[unplugin-femto] outDir: ${JSON.stringify(outDir)} is not a folder inside the project; femto writes servers/ and deploy/ there and empties them on every build, e.g. 'dist'`)
  return outDir
}

function resolveExternal(names: string[]): string[] {
  if (!Array.isArray(names))
    throw new Error(`[unplugin-femto] external: ${JSON.stringify(names)} is not a list; write package names in an array, e.g. ['better-sqlite3']`)
  for (const name of names) {
    if (typeof name !== 'string' || !/^(?:@[\w.-]+\/)?[\w.-]+$/.test(name) || name.startsWith('.'))
      throw new Error(`[unplugin-femto] external: ${JSON.stringify(name)} is not a package name; name packages as they are imported, e.g. 'better-sqlite3' or '@prisma/client'`)
  }
  return [...new Set(names)]
}

function resolveFiles(files: Record<string, string | string[]>): Record<string, string[]> {
  const resolved: Record<string, string[]> = {}
  for (const [name, given] of Object.entries(files)) {
    const patterns = toArray(given)
    for (const pattern of patterns) {
      if (typeof pattern !== 'string' || pattern === '' || /^(?:[a-z]:)?[\\/]/i.test(pattern) || pattern.split(/[\\/]/).includes('..'))
        throw new Error(`[unplugin-femto] files.${name}: '${pattern}' is not a path inside the project; write it from the project root, e.g. 'config/${name}.json'`)
    }
    resolved[name] = patterns
  }
  return resolved
}

function checked<T>(resolve: () => T): T {
  try {
    return resolve()
  }
  catch (error) {
    throw new Error(`[unplugin-femto] ${(error as Error).message}`)
  }
}

export function resolveOptions(options: Options = {}): ResolvedOptions {
  const basePath = `/${(options.basePath ?? '/femto').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  if (basePath === '')
    throw new Error(`[unplugin-femto] basePath: '${options.basePath}' would put functions beside the app's own pages; use a prefix such as '/femto' or '/api'`)
  const basePort = options.basePort ?? 3100
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65535 - 5000)
    throw new Error(`[unplugin-femto] basePort: ${basePort} leaves no room for 4999 service ports below 65536`)
  const mode = options.mode ?? 'split'
  if (mode !== 'split' && mode !== 'monolith')
    throw new Error(`[unplugin-femto] mode: '${mode}' is not 'split' or 'monolith'`)
  const defaults = checked(() => resolvePolicy(options.defaults, DEFAULT_POLICY, 'defaults'))
  const functions = options.functions ?? {}
  for (const [name, policy] of Object.entries(functions))
    checked(() => resolvePolicy(policy, defaults, `functions.${name}`))
  return {
    root: options.root,
    include: toArray(options.include ?? 'src/**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}'),
    exclude: toArray(options.exclude ?? ['**/node_modules/**', '**/*.d.ts']),
    basePath,
    basePort,
    mode,
    groups: resolveGroups(options.groups ?? {}),
    serversDir: options.serversDir ?? 'servers',
    outDir: resolveOutDir(options.outDir),
    defaults,
    functions,
    summary: options.summary ?? true,
    skewWindowMs: resolveSkewWindow(options.skewWindow),
    types: options.types ?? true,
    cache: options.cache ?? true,
    docs: options.docs ?? true,
    allowedOrigins: resolveOrigins(options.allowedOrigins ?? []),
    auth: options.auth,
    files: resolveFiles(options.files ?? {}),
    external: resolveExternal(options.external ?? []),
    deploy: resolveDeployOptions(options.deploy),
    policyOf: (name, source) => {
      const base = source ? resolvePolicy(source, defaults, name) : defaults
      return Object.hasOwn(functions, name) ? resolvePolicy(functions[name], base, `functions.${name}`) : base
    },
  }
}
