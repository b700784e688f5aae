import type { Manifest } from '../build/manifest'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package's own folder (the one whose `package.json` names it), from wherever this code runs: dist or, in its tests, src. */
function packageRoot(): string {
  const here = fileURLToPath(import.meta.url)
  for (let dir = dirname(here); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'unplugin-femto')
      return dir
  }
  throw new Error(`[unplugin-femto] internal error (a bug, please report it): no package.json above ${here}`)
}

/** An import of a file beside it (`from './chunk.js'`, `import('./x.js')`): then the file is not whole on its own. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']\.\.?\//

/**
 * The standalone gateway (`node gateway.js`, the `femto up` gateway on its own) as the one file an
 * image copies: the package's `dist/gateway.js`, which its build emits whole. Should a build of
 * the package ever split it into chunks, rolldown (the services' bundler) joins them here.
 */
export async function gatewayBundle(file = join(packageRoot(), 'dist/gateway.js')): Promise<string> {
  let code: string
  try {
    code = await readFile(file, 'utf8')
  }
  catch {
    throw new Error(`femto deploy: the gateway's bundle ${file} is missing; reinstall unplugin-femto (in its own repository: npm run build)`)
  }
  if (!RELATIVE_IMPORT.test(code))
    return code
  const { rolldown } = await import('rolldown')
  const bundle = await rolldown({ input: file, platform: 'node', logLevel: 'silent' })
  try {
    const { output } = await bundle.generate({ format: 'esm', codeSplitting: false })
    return output[0].code
  }
  finally {
    await bundle.close()
  }
}

/**
 * `femto.json` as the gateway reads it (routes, services' names, ports and `FEMTO_URL_*`, the
 * functions' policies and exposure), without what a function's body changes (hashes, sizes, what the code
 * reads, types): the gateway's image, tagged by its content, then rolls only when the routes or
 * the client build do, and an edited function rolls its own service alone.
 */
export function gatewayManifest(manifest: Manifest): object {
  return {
    version: manifest.version,
    basePath: manifest.basePath,
    mode: manifest.mode,
    services: manifest.services.map(s => ({ name: s.name, port: s.port, env: s.env, functions: s.functions })),
    // `exposure`: a gateway routes public functions only (absent in an older femto.json: public).
    // `previous`: the contracts still served by previous versions (version skew), without their hashes' bundles' sizes.
    functions: manifest.functions.map(f => ({ name: f.name, route: f.route, service: f.service, port: f.port, stream: f.stream, policies: f.policies, ...(f.exposure ? { exposure: f.exposure } : {}), ...(f.previous?.length ? { previous: f.previous.map(p => ({ contract: p.contract, service: p.service, until: p.until })) } : {}) })),
  }
}
