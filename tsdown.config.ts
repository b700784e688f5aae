import type { Plugin } from 'rolldown'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { defineConfig } from 'tsdown'

/**
 * TypeScript and Babel are CommonJS packages. An `import` of one makes Node scan its whole source
 * for export names (cjs-module-lexer) before running it: ~290 ms for TypeScript's 9 MB and ~45 ms
 * for Babel, paid by every build and dev-server start that loads them; `require` runs the same
 * code without the scan. The source keeps ordinary imports (they run as they are under Vitest);
 * the published chunks load these packages with `require`.
 */
function requireCommonJs(packages: string[], compiledWithCache: string[]): Plugin {
  const statement = new RegExp(`^import (\\w+|\\{[^}]*\\}) from "(${[...packages, ...compiledWithCache].map(p => p.replace(/[/.]/g, '\\$&')).join('|')})";$`, 'gm')
  return {
    name: 'require-commonjs',
    renderChunk(code, chunk) {
      let changed = false
      let required = false
      const rewritten = code.replace(statement, (_, bindings: string, name: string) => {
        changed = true
        const binding = bindings.replace(/ as /g, ': ')
        if (!compiledWithCache.includes(name)) {
          const prelude = required ? '' : 'import { createRequire as __createRequire } from "node:module";\nconst __require = __createRequire(import.meta.url);\n'
          required = true
          return `${prelude}const ${binding} = __require("${name}");`
        }
        // With V8's code cache kept on disk (src/core/schema/compile-cache.ts, an entry of its own).
        if (chunk.fileName.includes('/'))
          throw new Error(`${chunk.fileName} loads ${name}: compile-cache.js is imported from beside it`)
        return `import { requireCompiled as __requireCompiled } from "./compile-cache.js";\nconst ${binding} = __requireCompiled(import.meta.url, "${name}");`
      })
      return changed ? { code: rewritten, map: null } : null
    },
  }
}

/**
 * The docs page's two Swagger UI files, with their licence, shipped in the package
 * (`dist/swagger-ui/`) rather than depended on: swagger-ui-dist depends on @scarf/scarf, whose
 * install script reports every install of every package that depends on it to Scarf.
 */
function swaggerUiAssets(): Plugin {
  const from = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  return {
    name: 'swagger-ui-assets',
    generateBundle() {
      for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE', 'swagger-ui-bundle.js.LICENSE.txt'])
        this.emitFile({ type: 'asset', fileName: `swagger-ui/${name}`, source: readFileSync(join(from, name)) })
    },
  }
}

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
      // `vite dev`'s analysis thread: a file of its own, found beside the chunk that starts it.
      'analysis-worker': 'src/core/registry/analysis-worker.ts',
      'types-worker': 'src/core/registry/types-worker.ts',
      // What loads TypeScript in the published chunks (requireCommonJs below): a name without a hash.
      'compile-cache': 'src/core/schema/compile-cache.ts',
    },
    dts: true,
    clean: true,
    plugins: [requireCommonJs(['@babel/parser', '@babel/traverse', '@babel/code-frame'], ['typescript']), swaggerUiAssets()],
  },
  {
    ...shared,
    // The standalone gateway (`node dist/gateway.js`) is one file with nothing beside it, so a
    // deploy can copy it into an image on its own, as it does a service's bundle.
    entry: { gateway: 'src/up/gateway-main.ts' },
    deps: { alwaysBundle: [/./], onlyBundle: false },
    // undici, imported when the gateway starts (up/proxy.ts), stays in this one file too.
    outputOptions: { codeSplitting: false },
    dts: false,
    clean: false,
  },
])
