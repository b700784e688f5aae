import type { Plugin as RolldownPlugin } from 'rolldown'
import type { FemtoContext, Plan } from './context'
import type { BuiltBundle, Manifest } from './manifest'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rolldown } from 'rolldown'
import { mayHaveDirective, SCRIPT_ID } from './analyze'
import { routerEntry, serviceEntry } from './entries'
import { createManifest, MANIFEST_FILE } from './manifest'
import { upperSnake } from './names'
import { resolveRuntimeId } from './runtime-paths'
import { printSummary } from './summary'

export interface ServerBuildOptions {
  /** The bundler's output folder; services go to `<outDir>/<serversDir>`. */
  outDir: string
  /** Bundler aliases to honour in server code (string keys only). */
  alias?: Record<string, string>
  /** Compile-time replacements, as the bundler's `define`. */
  define?: Record<string, string>
  log?: (message: string) => void
}

const ENTRY = '\0femto-entry'

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
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })

  const bundles = new Map<string, BuiltBundle>()
  for (const unit of plan.services) {
    const hosted = new Set(unit.functions.map(f => f.name))
    bundles.set(unit.name, await bundle(ctx, plan, build, serviceEntry(unit, options), hosted, join(dir, unit.file), []))
  }
  const everything = new Set(plan.functions.map(f => f.name))
  const router = await bundle(ctx, plan, build, routerEntry(plan.functions, options), everything, join(dir, 'router.js'), ['express'])

  const manifest = createManifest(plan, options, bundles, router, name => `FEMTO_URL_${upperSnake(name)}`)
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  if (options.summary)
    await printSummary(manifest, dir, build.log ?? console.log)
  return manifest
}

async function bundle(ctx: FemtoContext, plan: Plan, build: ServerBuildOptions, entry: string, hosted: Set<string>, file: string, external: string[]): Promise<BuiltBundle> {
  const plugin: RolldownPlugin = {
    name: 'femto:server',
    resolveId(id) {
      if (id === ENTRY)
        return ENTRY
      return resolveRuntimeId(id)
    },
    load(id) {
      return id === ENTRY ? entry : undefined
    },
    transform(code, id) {
      if (id.startsWith('\0') || id.includes('/node_modules/') || !SCRIPT_ID.test(id) || !mayHaveDirective(code) || ctx.isExcluded(id))
        return undefined
      return ctx.transformForServer(id, code, hosted, plan)
    },
  }
  const bundler = await rolldown({
    input: ENTRY,
    cwd: ctx.root,
    platform: 'node',
    plugins: [plugin],
    external,
    resolve: build.alias ? { alias: build.alias } : undefined,
    transform: build.define ? { define: build.define } : undefined,
    logLevel: 'warn',
    onLog(level, log, handler) {
      // Circular imports and `eval` in third-party code are not the user's to fix here.
      if (log.code === 'CIRCULAR_DEPENDENCY' || log.code === 'EVAL')
        return
      handler(level, log)
    },
  })
  try {
    await bundler.write({ file, format: 'esm', codeSplitting: false, sourcemap: false })
  }
  finally {
    await bundler.close()
  }
  const code = await readFile(file)
  return {
    file: file.slice(file.lastIndexOf('/') + 1),
    bytes: code.length,
    hash: createHash('sha256').update(code).digest('hex').slice(0, 16),
  }
}
