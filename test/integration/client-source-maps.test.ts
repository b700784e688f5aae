import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rspack } from '@rspack/core'
import { build as esbuild } from 'esbuild'
import { rolldown } from 'rolldown'
import { rollup } from 'rollup'
import esbuildTs from 'rollup-plugin-esbuild'
import { createBuilder } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import webpack from 'webpack'
import femtoEsbuild from '../../src/esbuild'
import femtoRolldown from '../../src/rolldown'
import femtoRollup from '../../src/rollup'
import femtoRspack from '../../src/rspack'
import femtoVite from '../../src/vite'
import femtoWebpack from '../../src/webpack'
import { SERVER_ONLY } from '../fixtures/app/expected'
import { readTree } from '../helpers'
import { compile } from '../support/compile'

// A client build with source maps (for an error tracker, say) publishes them beside its
// JavaScript, and each bundler fills a map's `sourcesContent` with the original text of the
// modules it maps: for a module with the directive, its functions' bodies and server-only code.

const APP = join(import.meta.dirname, '../fixtures/app')
const options = { summary: false, types: false } as const
const outDirs: string[] = []

/** A build's own folder: the client goes to `client/` in it, the services to `servers/`. */
function outDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'femto-maps-'))
  outDirs.push(dir)
  return dir
}

afterAll(() => {
  for (const dir of outDirs)
    rmSync(dir, { recursive: true, force: true })
})

function webpackConfig(out: string, typescript: object, plugin: any): any {
  return {
    context: APP,
    mode: 'production',
    devtool: 'source-map',
    entry: './src/main.ts',
    output: { path: join(out, 'client') },
    resolve: { extensions: ['.ts', '.js'] },
    module: { rules: [{ test: /\.ts$/, ...typescript }] },
    plugins: [plugin],
  }
}

// Each build gets its folder; Vite puts its client in `client/` itself, the others are told to.
const BUILDS: Record<string, (out: string) => Promise<void>> = {
  'vite (build.sourcemap: true)': async (out) => {
    const builder = await createBuilder({ root: APP, configFile: false, logLevel: 'silent', plugins: [femtoVite({ ...options, outDir: out })], build: { outDir: out, emptyOutDir: true, sourcemap: true } })
    await builder.buildApp()
  },
  'vite (build.sourcemap: \'inline\')': async (out) => {
    const builder = await createBuilder({ root: APP, configFile: false, logLevel: 'silent', plugins: [femtoVite({ ...options, outDir: out })], build: { outDir: out, emptyOutDir: true, sourcemap: 'inline' } })
    await builder.buildApp()
  },
  'rollup': async (out) => {
    const bundle = await rollup({ input: join(APP, 'src/main.ts'), plugins: [femtoRollup({ ...options, root: APP }), nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js'] }), esbuildTs({ target: 'es2022', sourceMap: true })], onwarn: () => {} })
    await bundle.write({ dir: join(out, 'client'), format: 'es', sourcemap: true })
    await bundle.close()
  },
  'rolldown': async (out) => {
    const bundle = await rolldown({ input: join(APP, 'src/main.ts'), platform: 'browser', plugins: [femtoRolldown({ ...options, root: APP })], logLevel: 'silent' })
    await bundle.write({ dir: join(out, 'client'), format: 'es', sourcemap: true })
    await bundle.close()
  },
  'esbuild': async (out) => {
    await esbuild({ entryPoints: [join(APP, 'src/main.ts')], bundle: true, format: 'esm', outdir: join(out, 'client'), absWorkingDir: APP, sourcemap: true, plugins: [femtoEsbuild(options)], logLevel: 'silent' })
  },
  'webpack': out => compile(webpack(webpackConfig(out, { loader: 'esbuild-loader', options: { target: 'es2022' } }, femtoWebpack(options)))),
  'rspack': out => compile(rspack(webpackConfig(out, { loader: 'builtin:swc-loader', options: { jsc: { parser: { syntax: 'typescript' } } }, type: 'javascript/auto' }, femtoRspack(options)))),
}

describe('source maps of the client build', () => {
  for (const [bundler, build] of Object.entries(BUILDS)) {
    it(`${bundler}: map the stubs without the text of the modules that hold functions`, async () => {
      const out = outDir()
      await build(out)
      const client = readTree(join(out, 'client'))
      const maps = [...client.keys()].filter(file => file.endsWith('.map'))
      const published = [...client.values()].join('\n')
      // The build did make source maps, and they map the functions' modules.
      if (bundler.includes('inline'))
        expect(published).toContain('sourceMappingURL=data:application/json')
      else
        expect(maps.length).toBeGreaterThan(0)
      const decode = (text: string): string => text.replace(/sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Z0-9+/=]+)/gi, (_, data: string) => Buffer.from(data, 'base64').toString('utf8'))
      expect(decode(published)).toMatch(/src\/(?:shop|math)\.ts/)
      for (const marker of SERVER_ONLY)
        expect([...client].filter(([, text]) => decode(text).includes(marker)).map(([file]) => file), marker).toEqual([])
    }, 120_000)
  }
})
