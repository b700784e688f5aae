import type { Browser } from 'playwright-core'
import type { Manifest } from '../../src/core/build/manifest'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBuilder } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import femto from '../../src/vite'
import { femtoUp, launchChromium, readTree } from '../helpers'

// Vite bundles a Web Worker with plugins of its own (`worker.plugins`), not the app's: a worker
// that imports a femto function must get the stub there too, and what it imports is public.

const SECRET = 'es-password-worker-5511'
const root = mkdtempSync(join(tmpdir(), 'femto-worker-'))
let browser: Browser | undefined

beforeAll(async () => {
  mkdirSync(join(root, 'src'))
  writeFileSync(join(root, 'index.html'), '<pre id="out"></pre><script type="module" src="/src/main.ts"></script>\n')
  writeFileSync(join(root, 'src/search.ts'), `const PASSWORD = '${SECRET}'\n\nexport async function searchProducts(q: string) {\n  'use femto'\n  return { q, hits: q.length, auth: PASSWORD.length }\n}\n`)
  // Imported by the worker only.
  writeFileSync(join(root, 'src/reindex.ts'), 'export async function reindexAll(reason: string) {\n  \'use femto\'\n  return \'reindexed: \' + reason + \' (body-marker-reindex)\'\n}\n')
  writeFileSync(join(root, 'src/search.worker.ts'), 'import { reindexAll } from \'./reindex\'\nimport { searchProducts } from \'./search\'\n\nself.onmessage = async (event: MessageEvent<string>) => {\n  postMessage([await searchProducts(event.data), await reindexAll(\'from the worker\')])\n}\n')
  writeFileSync(join(root, 'src/main.ts'), 'const worker = new Worker(new URL(\'./search.worker.ts\', import.meta.url), { type: \'module\' })\nworker.onmessage = (event) => {\n  document.getElementById(\'out\')!.textContent = JSON.stringify(event.data)\n}\nworker.postMessage(\'shoes\')\n')
  const builder = await createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false })], build: { minify: false, sourcemap: true }, worker: { format: 'es' } })
  await builder.buildApp()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('a Web Worker that imports femto functions', () => {
  it('gets stubs: no body, secret or server import in the worker\'s bundle or its map', () => {
    const client = readTree(join(root, 'dist/client'))
    const worker = [...client.keys()].filter(file => /search\.worker-[\w-]+\.js$/.test(file))
    expect(worker).toHaveLength(1)
    expect(client.get(worker[0]!)).toContain('/femto/reindexAll')
    for (const marker of [SECRET, 'body-marker-reindex', 'PASSWORD.length'])
      expect([...client].filter(([, text]) => text.includes(marker)).map(([file]) => file), marker).toEqual([])
  })

  it('makes what the worker imports public, and its calls work in a browser through femto up', async () => {
    const manifest: Manifest = JSON.parse(readFileSync(join(root, 'dist/servers/femto.json'), 'utf8'))
    expect(Object.fromEntries(manifest.functions.map(fn => [fn.name, fn.exposure]))).toEqual({ reindexAll: 'public', searchProducts: 'public' })
    const up = await femtoUp(join(root, 'dist'))
    try {
      browser = await launchChromium()
      const page = await browser.newPage()
      await page.goto(up.url)
      await expect.poll(() => page.evaluate(() => document.getElementById('out')!.textContent), { timeout: 20_000 })
        .toBe(JSON.stringify([{ q: 'shoes', hits: 5, auth: SECRET.length }, 'reindexed: from the worker (body-marker-reindex)']))
    }
    finally {
      await up.stop()
    }
  }, 90_000)
})
