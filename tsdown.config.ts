import { defineConfig } from 'tsdown'

const shared = {
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  fixedExtension: false,
} as const

export default defineConfig([
  {
    ...shared,
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
    dts: true,
    clean: true,
  },
  {
    ...shared,
    // The standalone gateway (`node dist/gateway.js`) is one file with nothing beside it, so a
    // deploy can copy it into an image on its own, as it does a service's bundle.
    entry: { gateway: 'src/up/gateway-main.ts' },
    deps: { alwaysBundle: [/./], onlyBundle: false },
    dts: false,
    clean: false,
  },
])
