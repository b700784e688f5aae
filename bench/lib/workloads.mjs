import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { rolldown } from 'rolldown'

const ENTRY = join(import.meta.dirname, '../workloads/index.ts')
// bench/.work is git-ignored; the build section empties only its own folder in it.
const OUT = join(import.meta.dirname, '../.work/workloads')

let loaded

/**
 * The measurement workloads (bench/workloads), bundled once per run from the plugin's sources so
 * that they measure the code as it is now, with no `npm run build` and nothing in the package.
 * Packages stay imports: they load from node_modules as the plugin's own would.
 */
export function loadWorkloads() {
  loaded ??= build()
  return loaded
}

async function build() {
  // The package's target (tsdown.config.ts), so that the code measured is the code shipped.
  const bundler = await rolldown({ input: ENTRY, platform: 'node', external: [/^[^./]/], transform: { target: 'node20.19' }, logLevel: 'warn' })
  try {
    await bundler.write({ dir: OUT, format: 'esm', entryFileNames: 'index.mjs', codeSplitting: false })
  }
  finally {
    await bundler.close()
  }
  return import(pathToFileURL(join(OUT, 'index.mjs')).href)
}
