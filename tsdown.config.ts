import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: {
    'index': 'src/index.ts',
    'vite': 'src/vite.ts',
    'rollup': 'src/rollup.ts',
    'esbuild': 'src/esbuild.ts',
    'rolldown': 'src/rolldown.ts',
    'webpack': 'src/webpack.ts',
    'rspack': 'src/rspack.ts',
    'cli': 'src/cli/index.ts',
    'testing': 'src/testing.ts',
    'runtime/index': 'src/runtime/index.ts',
    'runtime/server': 'src/runtime/server.ts',
    'runtime/router': 'src/runtime/router.ts',
    'runtime/context': 'src/runtime/context.ts',
    'runtime/dev': 'src/runtime/dev.ts',
    'runtime/handler': 'src/runtime/handler.ts',
  },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  clean: true,
  fixedExtension: false,
})
