import type { Browser, Page } from 'playwright-core'
import type { Manifest } from '../../src/core/build/manifest'
import type { Running } from '../../src/up/up'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { up } from '../../src/up/up'
import { editFile, freePort, launchChromium, viteBuild } from '../helpers'

// Version skew in a real browser: a page loaded against one build of the app calls services of
// the next build, whose `quote` has another parameter type (another contract).

const FIXTURE = join(import.meta.dirname, '../fixtures/skew-app')

let work: string
let v1: string
let v2: string
let rolling: string
/** Long enough for the test to use the previous version, short enough to see it retired. */
const SKEW = { skewWindow: '15s' }
/** What the page's click gets: quote's result, and checkout's, which calls quote from its own service. */
const V1 = ['v1:7', 'checkout v1:7']
const V2 = ['v2:7', 'checkout v2:7']
let browser: Browser
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() })

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-skew-app-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|node_modules)$/.test(src) })
  v1 = await viteBuild(work, 'dist-v1')
  // The folder `femto up` runs across a rebuild: version 1 first.
  rolling = await viteBuild(work, 'dist', SKEW)
  editFile(join(work, 'src/quote.ts'), 'quote(amount: number) {\n  \'use femto\'\n  return `v1:', 'quote(amount: number | string) {\n  \'use femto\'\n  return `v2:')
  editFile(join(work, 'src/checkout.ts'), 'checkout(amount: number)', 'checkout(amount: number | string)')
  v2 = await viteBuild(work, 'dist-v2')
  // A build whose pages are always stale: version 1's client in front of version 2's services.
  cpSync(join(v1, 'client'), join(work, 'dist-mixed/client'), { recursive: true })
  cpSync(join(v2, 'servers'), join(work, 'dist-mixed/servers'), { recursive: true })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  if (work)
    rmSync(work, { recursive: true, force: true })
})

/** A page that counts its loads and the console lines the runtime writes. */
async function openPage(url: string): Promise<{ page: Page, loads: () => number, console: string[] }> {
  const page = await browser.newPage()
  let loads = 0
  const lines: string[] = []
  page.on('load', () => void loads++)
  page.on('console', message => void lines.push(message.text()))
  await page.goto(url)
  await expect.poll(() => page.evaluate(() => document.body.dataset.ready)).toBe('1')
  return { page, loads: () => loads, console: lines }
}

async function click(page: Page): Promise<unknown> {
  await expect.poll(() => page.evaluate(() => document.body.dataset.ready)).toBe('1')
  await page.click('#go')
  await expect.poll(() => page.locator('#out').textContent()).not.toBe('')
  return JSON.parse((await page.locator('#out').textContent())!)
}

describe('a retired contract: STALE_CLIENT and the onStaleClient hook', () => {
  it('reloads an old page once, onto the build the services serve, whose call then works', async () => {
    const port = await freePort()
    let running: Running = await up({ outDir: v1, port, freePorts: true, out: quiet })
    try {
      const { page, loads } = await openPage(running.url)
      expect(await click(page)).toEqual({ result: V1 })
      // The deploy: version 2 replaces version 1 on the same origin; the open page is version 1's.
      await running.close()
      running = await up({ outDir: v2, port, freePorts: true, out: quiet })
      await page.click('#go')
      // STALE_CLIENT, then the default hook's one reload: the page is version 2's now.
      await expect.poll(loads).toBe(2)
      expect(await click(page)).toEqual({ result: V2 })
      expect(loads()).toBe(2)
      await page.close()
    }
    finally {
      await running.close()
    }
  })

  it('does not loop when the reloaded page is still stale: one reload, then the error stays', async () => {
    const running = await up({ outDir: join(work, 'dist-mixed'), port: 0, freePorts: true, out: quiet })
    try {
      const { page, loads, console } = await openPage(running.url)
      await page.click('#go')
      await expect.poll(loads).toBe(2)
      // The reloaded page is stale too: its call fails with the code, and the guard keeps it there.
      expect(await click(page)).toEqual({ code: 'STALE_CLIENT' })
      await expect.poll(() => console.some(line => line.includes('still stale right after a reload'))).toBe(true)
      expect(await click(page)).toEqual({ code: 'STALE_CLIENT' })
      expect(loads()).toBe(2)
      await page.close()
    }
    finally {
      await running.close()
    }
  })

  it('onStaleClient: null leaves the page as it is with the error; a hook of the app\'s own is called instead of the reload', async () => {
    const running = await up({ outDir: join(work, 'dist-mixed'), port: 0, freePorts: true, out: quiet })
    try {
      const none = await openPage(`${running.url}/?hook=none`)
      expect(await click(none.page)).toEqual({ code: 'STALE_CLIENT' })
      expect(none.loads()).toBe(1)
      await none.page.close()
      const mine = await openPage(`${running.url}/?hook=mine`)
      expect(await click(mine.page)).toEqual({ code: 'STALE_CLIENT' })
      // Both of the click's calls are stale: the hook hears of each.
      await expect.poll(() => mine.page.evaluate(() => document.body.dataset.stale)).toBe('checkout:STALE_CLIENT,quote:STALE_CLIENT')
      expect(mine.loads()).toBe(1)
      await mine.page.close()
    }
    finally {
      await running.close()
    }
  })
})

describe('femto up across a rebuild that changes a contract', () => {
  it('serves an old page version 1 and a fresh page version 2, until the window ends; then the old page reloads onto version 2', async () => {
    const port = await freePort()
    let running: Running = await up({ outDir: rolling, port, freePorts: true, out: quiet })
    try {
      const old = await openPage(running.url)
      expect(await click(old.page)).toEqual({ result: V1 })

      // Rebuild in the same folder, with quote's parameter type changed, and femto up again.
      await viteBuild(work, 'dist', SKEW)
      const manifest = JSON.parse(readFileSync(join(rolling, 'servers/femto.json'), 'utf8')) as Manifest
      const quote = manifest.functions.find(fn => fn.name === 'quote')!
      expect(quote.previous).toHaveLength(1)
      expect(quote.previous![0]!.contract).not.toBe(quote.contract)
      expect(manifest.functions.find(fn => fn.name === 'checkout')!.previous).toHaveLength(1)
      await running.close()
      running = await up({ outDir: rolling, port, freePorts: true, out: quiet })

      expect(await click(old.page)).toEqual({ result: V1 })
      const fresh = await openPage(running.url)
      expect(await click(fresh.page)).toEqual({ result: V2 })
      expect(old.loads()).toBe(1)

      // After the window, one more build drops version 1: the old page meets STALE_CLIENT and reloads onto version 2.
      const until = Date.parse(quote.previous![0]!.until)
      await expect.poll(() => Date.now() > until, { timeout: 30_000, interval: 500 }).toBe(true)
      await viteBuild(work, 'dist', SKEW)
      const after = JSON.parse(readFileSync(join(rolling, 'servers/femto.json'), 'utf8')) as Manifest
      expect(after.functions.find(fn => fn.name === 'quote')!.previous).toBeUndefined()
      await running.close()
      running = await up({ outDir: rolling, port, freePorts: true, out: quiet })
      await old.page.click('#go')
      await expect.poll(old.loads).toBe(2)
      expect(await click(old.page)).toEqual({ result: V2 })
      await old.page.close()
      await fresh.page.close()
    }
    finally {
      await running.close()
    }
  }, 120_000)
})
