import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBuilder } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import femtoVite from '../../src/vite'
import { SERVER_ONLY } from '../fixtures/app/expected'
import { readTree } from '../helpers'
import { BUNDLER_BUILDS } from '../support/bundler-builds'

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

// Each build gets its folder; Vite puts its client in `client/` itself.
const BUILDS: Record<string, (out: string) => Promise<void>> = {
  'vite (build.sourcemap: true)': async (out) => {
    const builder = await createBuilder({ root: APP, configFile: false, logLevel: 'silent', plugins: [femtoVite({ ...options, outDir: out })], build: { outDir: out, emptyOutDir: true, sourcemap: true } })
    await builder.buildApp()
  },
  'vite (build.sourcemap: \'inline\')': async (out) => {
    const builder = await createBuilder({ root: APP, configFile: false, logLevel: 'silent', plugins: [femtoVite({ ...options, outDir: out })], build: { outDir: out, emptyOutDir: true, sourcemap: 'inline' } })
    await builder.buildApp()
  },
  // The other bundlers are given `<out>/client`, with their own switch for maps.
  ...Object.fromEntries(Object.entries(BUNDLER_BUILDS).map(([name, build]) => [name, (out: string) => build({ root: APP, outDir: join(out, 'client'), options, sourcemap: true })])),
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

describe('a chunk with a dynamic import()', () => {
  // Vite rewrites such a chunk for its preload helper after the bundle is made, and makes its
  // map again from the modules' text.
  for (const sourcemap of [true, 'hidden'] as const) {
    it(`vite (build.sourcemap: ${JSON.stringify(sourcemap)}): its map holds no function's text either`, async () => {
      const root = outDir()
      mkdirSync(join(root, 'src'))
      writeFileSync(join(root, 'index.html'), '<pre id="out"></pre><script type="module" src="/src/main.ts"></script>\n')
      writeFileSync(join(root, 'src/prices.ts'), 'const STRIPE_KEY = \'sk_live_dynamic_import_4d2f\'\n\nexport async function getPrice(sku: string) {\n  \'use femto\'\n  return { sku, key: STRIPE_KEY.length }\n}\n')
      writeFileSync(join(root, 'src/chart.ts'), 'export function draw(el: HTMLElement, value: unknown) {\n  el.textContent = JSON.stringify(value)\n}\n')
      writeFileSync(join(root, 'src/main.ts'), 'import { getPrice } from \'./prices\'\n\nconst price = await getPrice(\'sku-1\')\nconst { draw } = await import(\'./chart\')\ndraw(document.getElementById(\'out\')!, price)\n')
      const builder = await createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femtoVite({ summary: false, types: false })], build: { sourcemap, target: 'es2022' } })
      await builder.buildApp()
      const client = readTree(join(root, 'dist/client'))
      const maps = [...client].filter(([file]) => file.endsWith('.map'))
      expect(maps.some(([, text]) => text.includes('src/prices.ts'))).toBe(true)
      expect([...client].filter(([, text]) => text.includes('sk_live_dynamic_import_4d2f')).map(([file]) => file)).toEqual([])
    }, 120_000)
  }
})
