import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import { build as esbuild } from 'esbuild'
import { rollup } from 'rollup'
import esbuildTs from 'rollup-plugin-esbuild'
import { createBuilder } from 'vite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import femtoEsbuild from '../../src/esbuild'
import femtoRollup from '../../src/rollup'
import femtoVite from '../../src/vite'
import { APP_OPTIONS, CALLS, SERVER_ONLY, SERVICES } from '../fixtures/app/expected'
import { editFile, post, readTree, startNode, viteBuild } from '../helpers'
import { BUNDLER_BUILDS } from '../support/bundler-builds'

const APP = join(import.meta.dirname, '../fixtures/app')
const BAD_APP = join(import.meta.dirname, '../fixtures/bad-app')

const running: RunningProcess[] = []
const VITE_REFERENCE = join(APP, 'dist-vite-reference')
// Every bundler but Vite builds the services the same way (rolldown, from the plugin core): Rolldown's are the reference.
const ROLLDOWN_REFERENCE = join(APP, 'dist-rolldown-reference')
let viteReference: Manifest
let rolldownReference: Manifest

beforeAll(async () => {
  await viteBuild(APP, 'dist-vite-reference', APP_OPTIONS)
  viteReference = JSON.parse(readFileSync(join(VITE_REFERENCE, 'servers/femto.json'), 'utf8'))
  rmSync(ROLLDOWN_REFERENCE, { recursive: true, force: true })
  await BUNDLER_BUILDS.rolldown!({ root: APP, outDir: join(ROLLDOWN_REFERENCE, 'client'), options: { ...APP_OPTIONS, summary: false } })
  rolldownReference = JSON.parse(readFileSync(join(ROLLDOWN_REFERENCE, 'servers/femto.json'), 'utf8'))
})

/** The manifest but the bundles' bytes (`hash`, `bytes`), and `changes`: history, not output. */
function withoutBundleBytes(manifest: Manifest): object {
  const { changes: _changes, ...rest } = manifest
  const { hash: _hash, bytes: _bytes, ...router } = manifest.router
  return {
    ...rest,
    router,
    services: manifest.services.map(({ hash: _h, bytes: _b, ...service }) => service),
    functions: manifest.functions.map(({ hash: _h, ...fn }) => fn),
  }
}

/** Starts every function's service from the built files in `servers` and calls it as CALLS says. */
async function expectEveryFunctionAnswers(servers: string): Promise<void> {
  const results = await Promise.all(Object.entries(CALLS).map(async ([name, [args, expected]]) => {
    const service = await startNode(join(servers, `${name}.js`))
    running.push(service)
    const answer = await post(`${service.url}/femto/${name}`, args)
    return { name, status: answer.status, body: answer.body, expected }
  }))
  for (const { name, status, body, expected } of results)
    expect({ name, status, body }).toEqual({ name, status: 200, body: expected })
}

describe('vite build of the fixture app', () => {
  // Vite builds its services through the app's own pipeline (design 0033): other bytes, same services.
  it('describes the same services as the rolldown path, but for each bundle\'s hash and size', () => {
    expect(readdirSync(join(VITE_REFERENCE, 'servers')).sort()).toEqual(readdirSync(join(ROLLDOWN_REFERENCE, 'servers')).sort())
    expect(viteReference.functions.map(f => f.name)).toEqual(SERVICES)
    expect(withoutBundleBytes(viteReference)).toEqual(withoutBundleBytes(rolldownReference))
  })

  it('serves every function over HTTP from the built files', async () => {
    await expectEveryFunctionAnswers(join(VITE_REFERENCE, 'servers'))
  })
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe.each(Object.keys(BUNDLER_BUILDS))('%s build of the fixture app', (bundler) => {
  const dist = join(APP, `dist-${bundler}`)
  let manifest: Manifest
  let printed = ''

  beforeAll(async () => {
    rmSync(dist, { recursive: true, force: true })
    const log = vi.spyOn(console, 'log').mockImplementation((message) => {
      printed += `${message}\n`
    })
    try {
      // Output to `<dist>/client`: femto's folder is then `<dist>`, as under Vite.
      await BUNDLER_BUILDS[bundler]!({ root: APP, outDir: join(dist, 'client'), options: APP_OPTIONS })
    }
    finally {
      log.mockRestore()
    }
    manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  })

  it('writes the same services as the other bundlers but Vite, byte for byte, and the same manifest as vite build but the bundles\' bytes', () => {
    const files = readdirSync(join(dist, 'servers')).sort()
    expect(files).toEqual(readdirSync(join(ROLLDOWN_REFERENCE, 'servers')).sort())
    for (const name of SERVICES)
      expect(files, name).toContain(`${name}.js`)
    expect(files).toEqual(expect.arrayContaining(['router.js', 'femto.json', 'openapi.json']))
    expect(manifest.functions.map(f => f.name)).toEqual(SERVICES)
    // Same plugin core, same second build: the same bytes as Rolldown's.
    for (const file of files.filter(f => f.endsWith('.js') || f === 'openapi.json'))
      expect(readFileSync(join(dist, 'servers', file)).equals(readFileSync(join(ROLLDOWN_REFERENCE, 'servers', file))), file).toBe(true)
    // `changes` compares each build with the previous one in its own folder: history, not output.
    const { changes: _ours, ...ours } = manifest
    const { changes: _theirs, ...theirs } = rolldownReference
    expect(ours).toEqual(theirs)
    // Vite's services come from its own pipeline: names, ports, routes, contracts, reads… equal.
    expect(withoutBundleBytes(manifest)).toEqual(withoutBundleBytes(viteReference))
  })

  it('prints the table of services after the build', () => {
    expect(printed).toContain(`femto: ${SERVICES.length} service(s) in`)
    expect(printed).toMatch(/service +routes +port +exposure +called by +size +gzip +body limit +timeout +concurrency +retries/)
    const add = manifest.services.find(s => s.name === 'add')!
    // The page imports add (public), and placeOrder's service calls it; no page imports jobs.ts.
    expect(printed).toMatch(new RegExp(`add\\.js +POST /femto/add +${add.port} +public +placeOrder +[\\d.]+ kB +[\\d.]+ kB +1 MiB +10000 ms +- +0`))
    expect(printed).toMatch(/nightlyReport\.js +POST \/femto\/nightlyReport +\d+ +internal +- /)
    expect(printed).toMatch(/echoSize\.js .* 2\.0 kB/)
  })

  it('serves every function over HTTP from the built files', async () => {
    await expectEveryFunctionAnswers(join(dist, 'servers'))
  })

  it('puts stubs in the client output and no server code, and the services beside it', () => {
    const files = readTree(join(dist, 'client'))
    const names = Array.from(files.keys(), file => file.slice(join(dist, 'client').length + 1))
    for (const server of ['router.js', 'femto.json', 'openapi.json', ...SERVICES.map(name => `${name}.js`)])
      expect(names, server).not.toContain(server)
    expect(names.filter(name => name.startsWith('servers/'))).toEqual([])
    const js = [...files.entries()].filter(([file]) => file.endsWith('.js'))
    expect(js.length).toBeGreaterThan(0)
    const client = js.map(([, code]) => code).join('\n')
    for (const marker of SERVER_ONLY)
      expect(client.includes(marker), marker).toBe(false)
    expect(client).toContain('/femto/add')
    expect(client).toContain('/femto/placeOrder')
    expect(existsSync(join(dist, 'servers/add.js'))).toBe(true)
  })
})

describe.each(Object.keys(BUNDLER_BUILDS))('%s build of a bad directive use', (bundler) => {
  it('fails with the file, line, column and code frame, and writes no services', async () => {
    const outDir = join(BAD_APP, `dist-${bundler}`)
    rmSync(outDir, { recursive: true, force: true })
    const thrown: Error = await BUNDLER_BUILDS[bundler]!({ root: BAD_APP, outDir: join(outDir, 'client'), options: { summary: false } }).then(() => undefined as never, e => e)
    // Each bundler words its report its own way; all of it must be somewhere in what it throws.
    const text = [thrown.message, (thrown as any).frame, ...((thrown as any).errors ?? []).map((e: any) => `${e.text ?? e.message} ${e.frame ?? ''}`)].join('\n')
    expect(text).toContain('src/cart.ts:3:5')
    expect(text).toContain('cannot mark a class method')
    expect(text).toContain('> 3 |     \'use femto\'')
    expect(existsSync(join(outDir, 'servers'))).toBe(false)
  })
})

describe('what the bundler config gives the services', () => {
  // A project whose femto function reads a compile-time constant and imports through an alias.
  function project(): string {
    const root = mkdtempSync(join(tmpdir(), 'femto-config-'))
    mkdirSync(join(root, 'src/real'), { recursive: true })
    writeFileSync(join(root, 'index.html'), '<script type="module" src="/src/main.ts"></script>\n')
    writeFileSync(join(root, 'src/main.ts'), 'import { plan } from \'./plan\'\n\nvoid plan()\n')
    writeFileSync(join(root, 'src/real/tier.ts'), 'export const tier = \'gold\'\n')
    writeFileSync(join(root, 'src/plan.ts'), 'import { tier } from \'@tier\'\n\ndeclare const __REGION__: string\n\nexport async function plan() {\n  \'use femto\'\n  return tier + \'@\' + __REGION__\n}\n')
    return root
  }

  async function served(dist: string): Promise<unknown> {
    const service = await startNode(join(dist, 'servers/plan.js'))
    running.push(service)
    return (await post(`${service.url}/femto/plan`, [])).body
  }

  it('vite: string aliases and defines', async () => {
    const root = project()
    const builder = await createBuilder({
      root,
      configFile: false,
      logLevel: 'silent',
      plugins: [femtoVite({ summary: false })],
      resolve: { alias: { '@tier': join(root, 'src/real/tier.ts') } },
      define: { __REGION__: '"eu-west"' },
    })
    await builder.buildApp()
    expect(await served(join(root, 'dist'))).toBe('gold@eu-west')
  })

  it('esbuild: alias and define', async () => {
    const root = project()
    await esbuild({ entryPoints: [join(root, 'src/main.ts')], bundle: true, format: 'esm', outdir: join(root, 'dist/client'), absWorkingDir: root, alias: { '@tier': './src/real/tier.ts' }, define: { __REGION__: '"eu-west"' }, plugins: [femtoEsbuild({ summary: false })], logLevel: 'silent' })
    expect(await served(join(root, 'dist'))).toBe('gold@eu-west')
  })

  it('rollup with two outputs: the services beside each', async () => {
    const root = project()
    // Rollup itself has neither aliases nor defines.
    editFile(join(root, 'src/plan.ts'), '\'@tier\'', '\'./real/tier\'')
    editFile(join(root, 'src/plan.ts'), '__REGION__\n', '\'rollup\'\n')
    const bundle = await rollup({
      input: join(root, 'src/main.ts'),
      plugins: [femtoRollup({ root, summary: false, types: false }), nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js'] }), esbuildTs({ target: 'es2022' })],
      onwarn: () => {},
    })
    for (const dir of ['dist-a', 'dist-b'])
      await bundle.write({ dir: join(root, dir, 'client'), format: 'es' })
    await bundle.close()
    for (const dir of ['dist-a', 'dist-b'])
      expect(await served(join(root, dir)), dir).toBe('gold@rollup')
  })
})
