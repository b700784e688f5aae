import type { Options } from '../../src/core/registry/options'
import { join } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rspack } from '@rspack/core'
import { build as esbuild } from 'esbuild'
import { rolldown } from 'rolldown'
import { rollup } from 'rollup'
import esbuildTs from 'rollup-plugin-esbuild'
import webpack from 'webpack'
import femtoEsbuild from '../../src/esbuild'
import femtoRolldown from '../../src/rolldown'
import femtoRollup from '../../src/rollup'
import femtoRspack from '../../src/rspack'
import femtoWebpack from '../../src/webpack'
import { compile } from './compile'

/** One client build of a project whose entry is `src/main.ts`, into `outDir`. */
export interface BundlerBuild {
  root: string
  outDir: string
  options: Options
  /** Published source maps (each bundler's own switch for them). */
  sourcemap?: boolean
}

/**
 * Each bundler but Vite through its own JS API, configured as its docs show for a TypeScript
 * browser app. Each builds its services the same way (rolldown, from the plugin core).
 */
export const BUNDLER_BUILDS: Record<string, (build: BundlerBuild) => Promise<void>> = {
  async rollup({ root, outDir, options, sourcemap }) {
    const bundle = await rollup({
      input: join(root, 'src/main.ts'),
      plugins: [femtoRollup({ ...options, root }), nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js'] }), esbuildTs({ target: 'es2022', sourceMap: sourcemap })],
      onwarn: () => {},
    })
    await bundle.write({ dir: outDir, format: 'es', sourcemap })
    await bundle.close()
  },
  async rolldown({ root, outDir, options, sourcemap }) {
    const bundle = await rolldown({ input: join(root, 'src/main.ts'), platform: 'browser', plugins: [femtoRolldown({ ...options, root })], logLevel: 'silent' })
    await bundle.write({ dir: outDir, format: 'es', sourcemap })
    await bundle.close()
  },
  async esbuild({ root, outDir, options, sourcemap }) {
    await esbuild({ entryPoints: [join(root, 'src/main.ts')], bundle: true, format: 'esm', outdir: outDir, absWorkingDir: root, sourcemap, plugins: [femtoEsbuild(options)], logLevel: 'silent' })
  },
  webpack: build => compile(webpack(webpackConfig(build, { loader: 'esbuild-loader', options: { target: 'es2022' } }, femtoWebpack(build.options)))),
  rspack: build => compile(rspack(webpackConfig(build, { loader: 'builtin:swc-loader', options: { jsc: { parser: { syntax: 'typescript' } } }, type: 'javascript/auto' }, femtoRspack(build.options)))),
}

/** The config webpack and Rspack share; each compiles TypeScript with its own loader. */
function webpackConfig({ root, outDir, sourcemap }: BundlerBuild, typescript: object, plugin: any): any {
  return {
    context: root,
    mode: 'production',
    devtool: sourcemap ? 'source-map' : false,
    entry: './src/main.ts',
    output: { path: outDir },
    resolve: { extensions: ['.ts', '.js'] },
    module: { rules: [{ test: /\.ts$/, ...typescript }] },
    plugins: [plugin],
  }
}
