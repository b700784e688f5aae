import type { Manifest } from '../core/build/manifest'
import { readFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { MANIFEST_FILE } from '../core/build/manifest'
import { resolveDeployOptions } from '../core/deploy/options'
import { tokenFileNotice } from '../core/deploy/token-file'
import { writeDeploy } from '../core/deploy/write'
import { noBuildIn } from '../core/plugin/output-dirs'

export interface DeployCommandOptions {
  outDir: string
  /** Deprecated, changes nothing (see below); accepted so that scripts written for it keep working. */
  changed?: boolean
  registry?: string
  namespace?: string
  host?: string
  out?: NodeJS.WritableStream
}

/** `femto deploy`: the deploy files of an existing build, from its manifest (and its `deploy` option). */
export async function deployCommand(options: DeployCommandOptions): Promise<void> {
  const outDir = resolve(options.outDir)
  const out = options.out ?? process.stdout
  let manifest: Manifest
  try {
    manifest = JSON.parse(await readFile(join(outDir, 'servers', MANIFEST_FILE), 'utf8'))
  }
  catch {
    throw new Error(noBuildIn('deploy', outDir, 'servers'))
  }
  const flags = Object.fromEntries(Object.entries({ registry: options.registry, namespace: options.namespace, host: options.host }).filter(([, v]) => v !== undefined))
  const deploy = resolveDeployOptions({ ...manifest.deploy, ...flags }, key => (Object.hasOwn(flags, key) ? `--${key}` : `${MANIFEST_FILE} deploy.${key}`))!
  // Scaling policies and run-time files came with deploy: an older manifest has none of them (nor `changes`).
  if (!manifest.changes)
    throw new Error(`femto deploy: this build's ${MANIFEST_FILE} was written by an older unplugin-femto, without what a deploy needs (scaling policies, run-time files, changes); rebuild the app`)
  // --changed wrote only the changed services' files, measured against the previous build (not
  // what was deployed), and Compose recreated every service it dropped a `build:` of. A full
  // deploy already rolls only what changed: unchanged services' files come out byte for byte the same.
  if (options.changed)
    out.write('femto deploy: --changed is no longer needed and changes nothing: every deploy writes every file, an unchanged service\'s byte for byte as before, so docker-compose and kubectl replace only what changed\n')
  const result = await writeDeploy({ outDir, serversDir: 'servers', manifest, options: deploy })
  const notice = tokenFileNotice(result.tokenFile)
  if (notice)
    out.write(`${notice}\n`)
  out.write(`femto deploy: wrote ${result.files.length} file(s) in ${relative(process.cwd(), result.dir) || result.dir}\n${result.files.map(f => `  ${f}\n`).join('')}`)
}
