import type { RunningProcess } from '../helpers'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rspack } from '@rspack/core'
import { build as esbuild } from 'esbuild'
import { rolldown } from 'rolldown'
import { rollup } from 'rollup'
import esbuildTs from 'rollup-plugin-esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import webpack from 'webpack'
import femtoEsbuild from '../../src/esbuild'
import femtoRolldown from '../../src/rolldown'
import femtoRollup from '../../src/rollup'
import femtoRspack from '../../src/rspack'
import femtoWebpack from '../../src/webpack'
import { esbuildBuildInfo, esbuildClientOnly, rollupBuildInfo, rollupClientOnly } from '../fixtures/host-plugins-app/plugins'
import { post, startNode } from '../helpers'
import { compile } from '../support/compile'

const APP = join(import.meta.dirname, '../fixtures/host-plugins-app')
const OPTIONS = { summary: false, types: false }

const running: RunningProcess[] = []

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

/** What the built `buildInfo` service answers to a plain HTTP call. */
async function called(dist: string): Promise<unknown> {
  // The bundler writes the client to `<dist>/client`; the services go beside it, never inside.
  const service = await startNode(join(dist, '..', 'servers/buildInfo.js'))
  running.push(service)
  const answer = await post(`${service.url}/femto/buildInfo`, ['ada'])
  expect(answer.status, answer.text).toBe(200)
  return answer.body
}

/** An empty folder for one build; the bundler's output (the client) goes to its `client/`. */
function fresh(name: string): string {
  const root = join(APP, `dist-${name}`)
  rmSync(root, { recursive: true, force: true })
  return join(root, 'client')
}

// A new value per run: the service can only hold it if this very plugin instance built it.
const stamp = `stamp-${process.pid}-${Date.now()}`

describe('the user\'s plugins given to the host bundler reach the services', () => {
  it('rollup: a virtual module from a user plugin; a client-only plugin runs once, for the client', async () => {
    const dist = fresh('rollup')
    const clientRuns = { count: 0 }
    const bundle = await rollup({
      input: join(APP, 'src/main.ts'),
      plugins: [femtoRollup({ ...OPTIONS, root: APP }), rollupBuildInfo(stamp), rollupClientOnly(clientRuns), nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js'] }), esbuildTs({ target: 'es2022' })],
      onwarn: () => {},
    })
    await bundle.write({ dir: dist, format: 'es' })
    await bundle.close()
    expect(await called(dist)).toEqual({ hello: 'ada', info: { stamp, by: 'rollup plugin' }, tier: null })
    expect(clientRuns.count).toBe(1)
    expect(existsSync(join(dist, 'client-only.txt'))).toBe(true)
    expect(readdirSync(join(dist, '../servers'))).not.toContain('client-only.txt')
  })

  it('rolldown: a user plugin, and the host\'s transform.define', async () => {
    const dist = fresh('rolldown')
    const clientRuns = { count: 0 }
    const bundle = await rolldown({
      input: join(APP, 'src/main.ts'),
      platform: 'browser',
      plugins: [femtoRolldown({ ...OPTIONS, root: APP }), rollupBuildInfo(stamp), rollupClientOnly(clientRuns)],
      transform: { define: { __TIER__: '"rolldown"' } },
      logLevel: 'silent',
    })
    await bundle.write({ dir: dist, format: 'es' })
    await bundle.close()
    expect(await called(dist)).toEqual({ hello: 'ada', info: { stamp, by: 'rollup plugin' }, tier: 'rolldown' })
    expect(clientRuns.count).toBe(1)
  })

  it('rolldown: the host\'s resolve.alias', async () => {
    const dist = fresh('rolldown-alias')
    const bundle = await rolldown({
      input: join(APP, 'src/main.ts'),
      platform: 'browser',
      plugins: [femtoRolldown({ ...OPTIONS, root: APP })],
      resolve: { alias: { 'virtual:build-info': join(APP, 'build-info.js') } },
      logLevel: 'silent',
    })
    await bundle.write({ dir: dist, format: 'es' })
    await bundle.close()
    expect(await called(dist)).toEqual({ hello: 'ada', info: { stamp: 'from a file', by: 'alias' }, tier: null })
  })

  it('esbuild: an esbuild plugin\'s virtual module (onResolve into a namespace, onLoad from it); an onEnd-only plugin stays with the client', async () => {
    const dist = fresh('esbuild')
    const clientRuns = { count: 0 }
    await esbuild({
      entryPoints: [join(APP, 'src/main.ts')],
      bundle: true,
      format: 'esm',
      outdir: dist,
      absWorkingDir: APP,
      define: { __TIER__: '"esbuild"' },
      plugins: [femtoEsbuild(OPTIONS), esbuildBuildInfo(stamp), esbuildClientOnly(clientRuns)],
      logLevel: 'silent',
    })
    expect(await called(dist)).toEqual({ hello: 'ada', info: { stamp, by: 'esbuild plugin' }, tier: 'esbuild' })
    expect(clientRuns.count).toBe(1)
  })

  it('esbuild: the `loader` setting, a custom loader in the file namespace, and build.resolve', async () => {
    const root = mkdtempSync(join(tmpdir(), 'femto-esbuild-loaders-'))
    mkdirSync(join(root, 'src'))
    writeFileSync(join(root, 'src/main.ts'), 'import { shout } from \'./shout\'\n\nvoid shout()\n')
    writeFileSync(join(root, 'src/greeting.txt'), 'hello from a text file\n')
    writeFileSync(join(root, 'src/name.upper'), 'ada\n')
    writeFileSync(join(root, 'src/shout.ts'), [
      '// @ts-expect-error: loaded by esbuild\'s `loader` setting',
      'import greeting from \'./greeting.txt\'',
      '// @ts-expect-error: loaded by the user\'s esbuild plugin',
      'import name from \'./name.upper\'',
      '',
      'export async function shout() {',
      '  \'use femto\'',
      '  return greeting.trim() + \': \' + name',
      '}',
      '',
    ].join('\n'))
    // A custom loader as esbuild's docs show them: read the file, hand esbuild the contents and a loader.
    const upper = {
      name: 'upper',
      setup(build: import('esbuild').PluginBuild) {
        build.onResolve({ filter: /\.upper$/ }, async (args) => {
          const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'again' })
          return { path: resolved.path, pluginData: 'shouted' }
        })
        build.onLoad({ filter: /\.upper$/ }, async args => ({
          contents: `${(await import('node:fs/promises').then(fs => fs.readFile(args.path, 'utf8'))).trim().toUpperCase()}!${args.pluginData === 'shouted' ? '' : '?'}`,
          loader: 'text',
        }))
      },
    }
    const dist = join(root, 'dist/client')
    await esbuild({ entryPoints: [join(root, 'src/main.ts')], bundle: true, format: 'esm', outdir: dist, absWorkingDir: root, loader: { '.txt': 'text' }, plugins: [femtoEsbuild(OPTIONS), upper], logLevel: 'silent' })
    const service = await startNode(join(root, 'dist/servers/shout.js'))
    running.push(service)
    expect((await post(`${service.url}/femto/shout`, [])).body).toBe('hello from a text file: ADA!')
  })
})

/** webpack's and Rspack's shared config; each compiles TypeScript with its own loader. */
function webpackConfig(dist: string, typescript: object, plugins: unknown[]): any {
  return {
    context: APP,
    mode: 'production',
    entry: './src/main.ts',
    output: { path: dist },
    resolve: { extensions: ['.ts', '.js'], alias: { 'virtual:build-info': join(APP, 'build-info.js') } },
    module: { rules: [{ test: /\.ts$/, ...typescript }] },
    plugins,
  }
}

describe('webpack and Rspack: resolve.alias and DefinePlugin reach the services', () => {
  it('webpack', async () => {
    const dist = fresh('webpack')
    await compile(webpack(webpackConfig(dist, { loader: 'esbuild-loader', options: { target: 'es2022' } }, [
      femtoWebpack(OPTIONS),
      new webpack.DefinePlugin({ __TIER__: JSON.stringify('webpack') }),
    ])))
    expect(await called(dist)).toEqual({ hello: 'ada', info: { stamp: 'from a file', by: 'alias' }, tier: 'webpack' })
  })

  it('rspack', async () => {
    const dist = fresh('rspack')
    await compile(rspack(webpackConfig(dist, { loader: 'builtin:swc-loader', options: { jsc: { parser: { syntax: 'typescript' } } }, type: 'javascript/auto' }, [
      femtoRspack(OPTIONS),
      new rspack.DefinePlugin({ __TIER__: JSON.stringify('rspack') }),
    ])))
    expect(await called(dist)).toEqual({ hello: 'ada', info: { stamp: 'from a file', by: 'alias' }, tier: 'rspack' })
  })
})
