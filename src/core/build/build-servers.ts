import type { Plugin as RolldownPlugin } from 'rolldown'
import type { FemtoContext } from '../registry/context'
import type { Plan } from '../registry/plan'
import type { RegisteredFunction } from '../registry/registry'
import type { FunctionSchema } from '../schema/types'
import type { BundleFacts, KeptBundle } from './bundle-cache'
import type { EntryFacts } from './entries'
import type { RunTimeFile } from './files'
import type { HostBuild } from './host-plugins'
import type { BuiltBundle, Manifest } from './manifest'
import type { NativeDetector } from './native-detect'
import type { DocumentedFunction } from './openapi'
import { createHash } from 'node:crypto'
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { rolldown } from 'rolldown'
import { DOCS_ASSETS } from '../../runtime/server/docs'
import { serviceUrlVariable } from '../../runtime/shared/service-env'
import { describeChanges, diffServices, readPreviousHashes, rememberHashes } from '../deploy/changes'
import { exposureOf, internalNames } from '../registry/exposure'
import { isUsableSchema } from '../schema/contract'
import { DIRECTIVE, mayHaveDirective, SCRIPT_ID } from '../transform/precheck'
import { placeKeptBundle } from './bundle-cache'
import { callGraph, stubbedFunctions } from './call-graph'
import { routerEntry, serviceEntry } from './entries'
import { envVarsRead } from './env-scan'
import { copyRunTimeFiles } from './files'
import { hostPlugins } from './host-plugins'
import { createManifest, MANIFEST_FILE } from './manifest'
import { moduleRelativeFilesPlugin } from './module-relative-files'
import { nativeDetector } from './native-detect' // femto:native
import { shipNativePackages } from './native-ship' // femto:native
import { generateOneFile, isThirdPartyNoise } from './one-file'
import { openApiDocument } from './openapi'
import { resolveRuntimeId, swaggerUiDir } from './runtime-paths'
import { describeSkew, keepLastBuild, keepPreviousVersions, readPreviousBuild, writePreviousVersions } from './skew'
import { printSummary } from './summary'
import { BUILTINS_HAVE_NO_SIDE_EFFECTS, functionsLabel, isDeclaredExternal, unresolvedImportError } from './unresolved'

/** The OpenAPI document of every function, beside the manifest. */
export const OPENAPI_FILE = 'openapi.json'
/**
 * `{"type":"module"}` beside the services. Without it, Node reads a service as a module only
 * after compiling it as CommonJS and failing (Node 20.19+; older Nodes refuse it), and walks up
 * every folder to the root looking for a package.json: ~8 ms of a cold start, and a Docker image
 * has none.
 */
export const MODULE_SCOPE_FILE = 'package.json'

export interface ServerBuildOptions {
  /** The bundler's output folder; services go to `<outDir>/<serversDir>`. */
  outDir: string
  /** Bundler aliases to honour in server code (string keys only). */
  alias?: Record<string, string>
  /** Compile-time replacements, as the bundler's `define`. */
  define?: Record<string, string>
  /** The app's bundler's own plugins and settings, for the services' build too (host-plugins.ts). */
  host?: HostBuild
  log?: (message: string) => void
  /**
   * Compare with the previous build of this folder and remember this one for the next (femto.json
   * `changes`). Default true; off for a throwaway folder, which has no next build.
   */
  history?: boolean
  /** How the entries become standalone files; default: one rolldown build each (`generate`). */
  bundler?: ServiceBundler
}

/** One file to build: a service, or router.js. */
export interface ServiceTarget {
  /** The service's name, or `router`. */
  name: string
  /** What an error calls it: its functions, or router.js. */
  label: string
  /** Source of its generated entry module. */
  entry: string
  /** The functions whose bodies it holds; every other femto function in it is a stub. */
  hosted: Set<string>
  /** Packages it imports without bundling them, on purpose, besides the native ones (`express` for router.js). */
  external: string[]
}

/**
 * Sees every target first (Vite builds them all in one build), then makes each one's file.
 * Each file must be standalone: it imports nothing but Node's own modules, `external`, and the
 * packages `native` says to leave out as the bundler meets them.
 */
export type ServiceBundler = (targets: ServiceTarget[], native: NativeDetector) => Promise<(target: ServiceTarget) => Promise<Produced>>

/** A service's file, and what to do once it is written (keep it in the bundle cache); or one an earlier build kept. */
export type Produced
  = | {
    /** Held as text from the bundler to the checks of what it reads: a thousand services converted 115 MB each way. */
    code: string
    written?: (file: string, facts: BundleFacts) => void
  }
  | { kept: KeptBundle }

const ENTRY = '\0femto-entry'
// Measured on 2 cores, 1000 one-function bundles: 1 at a time 24.8 s, 4: ~20 s, 16: 14.1 s, 32: 14.1 s
// (one 1000-function module: 15.8 s), 64: 11.9 s but more memory. Most of a bundle is waiting.
const CONCURRENT_BUNDLES = 32

/**
 * Builds every service as its own single-file bundle, plus `router.js` and `femto.json`.
 *
 * One bundle per service, not one multi-entry build: a multi-entry build shares chunks between
 * entries, and a service must run alone from its one file. Each bundle transforms the modules
 * it reaches with its own hosted set, so a service holds only its functions' code: every other
 * femto function in it is an HTTP stub, and what only those functions imported is dropped.
 */
export async function buildServers(ctx: FemtoContext, build: ServerBuildOptions): Promise<Manifest> {
  const { options } = ctx
  const plan = ctx.plan()
  for (const name of Object.keys(options.functions)) {
    if (!plan.serviceOf.has(name))
      (build.log ?? console.warn)(`[unplugin-femto] options.functions.${name}: no femto function has this name (known: ${plan.functions.map(f => f.name).join(', ')})`)
  }
  const dir = join(build.outDir, options.serversDir)
  // Read before the folder is emptied: a rebuild reports which services changed since.
  const history = build.history !== false
  const previous = history ? await readPreviousHashes(ctx.root, dir) : undefined
  // Version skew: the previous build's services of functions whose contract changes stay served.
  const kept = history ? await keepPreviousVersions(await readPreviousBuild(ctx.root, dir), plan.functions, options.skewWindowMs) : undefined
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  if (kept)
    await writePreviousVersions(dir, kept)
  await writeFile(join(dir, MODULE_SCOPE_FILE), '{ "type": "module" }\n')
  const reserved = [MANIFEST_FILE, OPENAPI_FILE, MODULE_SCOPE_FILE, 'router.js', 'docs', ...plan.services.map(s => s.file)]
  const files = await copyRunTimeFiles(ctx.root, plan, options.files, dir, reserved)

  const { validators, documented } = await describeFunctions(ctx, plan)
  const { authModule } = ctx
  // The client has been built by now: what it imported is public (registry/exposure.ts).
  const exposure = exposureOf(plan.functions, options, ctx.clientImports.names())
  const internal = internalNames(exposure)
  const facts = (functions: RegisteredFunction[], title: string): EntryFacts => ({
    validators,
    authModule,
    internal,
    openapi: openApiDocument(documented.filter(d => functions.some(fn => fn.name === d.name)), { title }),
  })
  const document = openApiDocument(documented, { title: 'femto functions' })
  await writeFile(join(dir, OPENAPI_FILE), `${JSON.stringify(document, null, 2)}\n`)
  if (options.docs)
    await copyDocsAssets(join(dir, 'docs'))

  const native = nativeDetector(ctx.root, options.external) // femto:native: left external as met, shipped below
  const services: ServiceTarget[] = plan.services.map(unit => ({
    name: unit.name,
    label: functionsLabel(unit.functions.map(f => f.name)),
    entry: serviceEntry(unit, options, facts(unit.functions, `${unit.name} (femto service)`)),
    hosted: new Set(unit.functions.map(f => f.name)),
    external: [],
  }))
  const routerTarget: ServiceTarget = {
    name: 'router',
    label: 'router.js (every femto function)',
    entry: routerEntry(plan.functions, options, { validators, authModule, openapi: document }),
    hosted: new Set(plan.functions.map(f => f.name)),
    external: ['express'],
  }
  const produce = await (build.bundler ?? rolldownBundler(ctx, plan, build))([...services, routerTarget], native)

  const bundles = new Map<string, BuiltBundle>()
  // Many bundles at once: while some wait on rolldown's native work and the disk, others run JS.
  const queue = plan.services.map((unit, i) => ({ unit, target: services[i]! }))
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_BUNDLES, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift())
      bundles.set(next.unit.name, await bundle(produce, next.target, join(dir, next.unit.file), files.byService.get(next.unit.name)))
  }))
  const router = await bundle(produce, routerTarget, join(dir, 'router.js'))
  await shipNativePackages(native.found(), ctx.root, dir, bundles) // femto:native

  const graph = callGraph(plan, new Map(Array.from(bundles, ([name, built]) => [name, built.stubs ?? []])))
  const manifest = createManifest(plan, options, bundles, router, name => serviceUrlVariable(name), files, { exposure, graph })
  manifest.changes = diffServices(previous, manifest)
  for (const fn of manifest.functions) {
    const versions = kept?.byFunction.get(fn.name)
    if (versions)
      fn.previous = versions
  }
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  if (history) {
    await rememberHashes(ctx.root, dir, manifest)
    await keepLastBuild(ctx.root, dir, manifest)
  }
  if (options.summary) {
    await printSummary(manifest, dir, build.log ?? console.log)
    const skew = describeSkew(manifest)
    ;(build.log ?? console.log)(`${describeChanges(manifest.changes)}\n${skew ? `${skew}\n` : ''}`)
  }
  // With deploy.app, the framework's server output the app's image holds is written after this
  // step (SvelteKit's adapter runs last): `femto deploy <outDir>` writes deploy/ once it is there.
  if (options.deploy?.app) {
    (build.log ?? console.log)(`femto: deploy.app is set: run \`femto deploy ${relative(ctx.root, build.outDir) || '.'}\` after the framework's build to write deploy/`)
  }
  else if (options.deploy) {
    const { writeDeploy } = await import('../deploy/write')
    const { tokenFileNotice } = await import('../deploy/token-file')
    const notice = tokenFileNotice((await writeDeploy({ outDir: build.outDir, serversDir: options.serversDir, manifest, options: options.deploy })).tokenFile)
    if (notice)
      (build.log ?? console.log)(notice)
  }
  return manifest
}

/**
 * Each function's schema, from its types where derivation succeeded (then its arguments are
 * checked), else open (any arguments, any result) in the documents.
 */
export async function describeFunctions(ctx: FemtoContext, plan: Plan): Promise<{ validators: Map<string, string>, documented: DocumentedFunction[] }> {
  await ctx.deriveTypes()
  const validators = new Map<string, string>()
  const documented: DocumentedFunction[] = []
  let compileValidator: typeof import('../schema/validator').compileValidator | undefined
  for (const fn of plan.functions) {
    const derived = ctx.schemaOf(fn.name)
    const usable = isUsableSchema(derived, fn.params.length)
    if (usable && !fn.standardSchema) {
      compileValidator ??= (await import('../schema/validator')).compileValidator
      validators.set(fn.name, compileValidator(derived))
    }
    const schema: FunctionSchema = usable
      ? derived
      : { params: fn.params.map(p => ({ ...p, schema: p.rest ? { type: 'array' } : {} })), result: {}, defs: {}, warnings: [] }
    documented.push({ name: fn.name, route: fn.route, stream: fn.stream, schema })
  }
  return { validators, documented }
}

/** Swagger UI's two files, from the package: the docs page needs no CDN. */
async function copyDocsAssets(to: string): Promise<void> {
  const from = swaggerUiDir()
  await mkdir(to, { recursive: true })
  await Promise.all(Object.keys(DOCS_ASSETS).map(name => copyFile(join(from, name), join(to, name))))
}

/**
 * A service that calls other services runs each call in a request context, so that its trace
 * and request id go on with the calls it makes. That costs every call (AsyncLocalStorage and an
 * AbortController: measured at a third of the throughput of `add.js`), so only bundles where a
 * stub survived tree-shaking get it, not those whose modules merely declare a neighbour's stub.
 * Tree-shaking itself decides, in this one build: the context's store is kept only where kept
 * code reads it, a stub's `callService` or the function's own `getRequestContext`
 * (runtime/server/context.ts).
 */
async function bundle(produce: (target: ServiceTarget) => Promise<Produced>, target: ServiceTarget, file: string, files: RunTimeFile[] = []): Promise<BuiltBundle> {
  const produced = await produce(target)
  if ('kept' in produced) {
    placeKeptBundle(produced.kept, file)
    return described(file, produced.kept.content, produced.kept.facts, files)
  }
  const { code, written } = produced
  await writeFile(file, code)
  const facts = { reads: envVarsRead(code), stubs: stubbedFunctions(code) }
  written?.(file, facts)
  return described(file, code, facts, files)
}

function described(file: string, code: string | Buffer, facts: BundleFacts, files: RunTimeFile[]): BuiltBundle {
  // The run-time files are part of what a deploy ships, so they are part of the hash (none: the bundle's hash).
  const hash = createHash('sha256').update(code)
  for (const extra of files)
    hash.update(`\0${extra.path}\0`).update(extra.content)
  return {
    file: file.slice(file.lastIndexOf('/') + 1),
    bytes: Buffer.byteLength(code),
    hash: hash.digest('hex').slice(0, 16),
    ...facts,
  }
}

/** Every bundler but Vite: each target is its own rolldown build of the sources, with its own hosted set. */
function rolldownBundler(ctx: FemtoContext, plan: Plan, build: ServerBuildOptions): ServiceBundler {
  return async (_targets, native) => async target => ({ code: await generate(ctx, plan, build, target.entry, target.hosted, (id, importer) => isDeclaredExternal(id, target.external) || native.isExternal(id, importer), target.label) })
}

async function generate(ctx: FemtoContext, plan: Plan, build: ServerBuildOptions, entry: string, hosted: Set<string>, external: (id: string, importer: string | undefined) => boolean, label: string): Promise<string> {
  let unresolved: Error | undefined
  // Native filters keep rolldown from calling into JS for every module of every bundle.
  const plugin: RolldownPlugin = {
    name: 'femto:server',
    resolveId: {
      filter: { id: /^(?:\0femto-entry$|unplugin-femto\/(?:runtime|context))/ },
      handler(id) {
        return id === ENTRY ? ENTRY : resolveRuntimeId(id)
      },
    },
    load: {
      filter: { id: /^\0femto-entry$/ },
      handler() {
        return entry
      },
    },
    transform: {
      filter: { id: { include: [SCRIPT_ID], exclude: [/[\\/]node_modules[\\/]/, /^\0/] }, code: DIRECTIVE },
      handler(code, id) {
        if (!mayHaveDirective(code) || ctx.isExcluded(id))
          return undefined
        return ctx.transformForServer(id, code, hosted, plan)
      },
    },
  }
  const bundler = await rolldown({
    input: ENTRY,
    cwd: ctx.root,
    platform: 'node',
    plugins: [plugin, moduleRelativeFilesPlugin(() => ctx.root), ...await hostPlugins(build.host)],
    external,
    treeshake: { moduleSideEffects: BUILTINS_HAVE_NO_SIDE_EFFECTS },
    resolve: build.alias ? { alias: build.alias } : undefined,
    // femtoFile() finds run-time files next to the bundle (runtime/files.ts).
    transform: { define: { ...build.define, __FEMTO_SERVICE_BUNDLE__: 'true' } },
    logLevel: 'warn',
    onLog(level, log, handler) {
      if (isThirdPartyNoise(log))
        return
      // Rolldown keeps an import it could not resolve and only warns: the service would fail at load.
      if (log.code === 'UNRESOLVED_IMPORT') {
        unresolved ??= unresolvedImportError({ who: label, id: log.exporter ?? log.message, importer: log.id, root: ctx.root })
        return
      }
      handler(level, log)
    },
  })
  return generateOneFile(bundler, () => unresolved)
}
