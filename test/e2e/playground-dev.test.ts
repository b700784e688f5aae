import type { Browser, Page } from 'playwright-core'
import type { Logger, ViteDevServer } from 'vite'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { editFile, launchChromium } from '../helpers'
import { checkout, lastLog, openShop } from './shop'

const ROOT = join(import.meta.dirname, '../..')
// A copy inside the repository, so its vite.config.ts finds `unplugin-femto/vite` (the package as
// it ships, dist/) as the playground does; the test edits its sources.
const copy = mkdtempSync(join(ROOT, 'playground-dev-'))
cpSync(join(ROOT, 'playground'), copy, { recursive: true, filter: src => !/[\\/]dist[^\\/]*$/.test(src) })

let server: ViteDevServer
let url: string
let browser: Browser

/**
 * Asks for a quote until the log shows `line`: the first clicks after an edit may still meet the
 * function before it. Each click is a call: a few a second, not one per 50 ms (a poll's default).
 */
async function quoteShows(page: Page, line: string): Promise<void> {
  await expect.poll(async () => {
    await page.click('#quote')
    return lastLog(page)
  }, { interval: 250 }).toBe(line)
}

const edit = (file: string, from: string, to: string): void => editFile(join(copy, file), from, to)

// A mark on the page's window, which only a reload takes away.
const mark = (page: Page): Promise<unknown> => page.evaluate(() => Object.assign(window, { beforeTheEdit: true }))
const marked = (page: Page): Promise<boolean> => page.evaluate(() => (window as { beforeTheEdit?: boolean }).beforeTheEdit ?? false)

// What the dev server says in the terminal (Vite's info lines: `page reload`, `femto update`).
const said: string[] = []
function quiet(): void {}
const logger: Logger = {
  info: line => void said.push(line),
  warn: quiet,
  warnOnce: quiet,
  error: quiet,
  clearScreen: quiet,
  hasErrorLogged: () => false,
  hasWarned: false,
}

beforeAll(async () => {
  process.env.FEMTO_LOG_LEVEL = 'warn'
  server = await createServer({ root: copy, customLogger: logger, server: { port: 0, host: '127.0.0.1' } })
  await server.listen()
  url = server.resolvedUrls!.local[0]!
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  rmSync(copy, { recursive: true, force: true })
})

describe('the playground in vite dev, in real Chromium', () => {
  it('places an order with every function in the dev server process', async () => {
    const page = await browser.newPage()
    await checkout(page, url, 1)
    await page.close()
  })

  it('takes an edit at once, shows a broken one in the error overlay, and recovers', async () => {
    const page = await browser.newPage()
    await openShop(page, url)

    // A constant only the body uses: the page's code stays as it was, so the page is not reloaded.
    await mark(page)
    edit('src/pricing.ts', 'const VAT = 0.2', 'const VAT = 0.1')
    await expect.poll(() => said.find(line => line.includes('femto update src/pricing.ts'))).toContain('(the page keeps its state)')
    expect(said.filter(line => line.includes('page reload'))).toEqual([])
    expect(await marked(page)).toBe(true)
    await quoteShows(page, 'price: €24.00 + €2.40 VAT = €26.40')

    edit('src/pricing.ts', 'export async function price(', 'export const shop = {\n  async total() {\n    \'use femto\'\n  },\n}\n\nexport async function price(')
    const overlay = page.locator('vite-error-overlay')
    await expect.poll(() => overlay.count()).toBe(1)
    await expect.poll(() => overlay.locator('.message-body').textContent()).toContain('src/pricing.ts:8:5: \'use femto\' cannot mark an object method')
    expect(await overlay.locator('.frame').textContent()).toContain('>  8 |     \'use femto\'')
    // An edit that changes what the page runs (here, a module it can no longer build) reloads it, as Vite does.
    await expect.poll(() => said.some(line => line.includes('page reload') && line.includes('src/pricing.ts'))).toBe(true)

    // The good edit changes the rate too, so the price below can only come from a call after it.
    edit('src/pricing.ts', 'const VAT = 0.1\n\nexport const shop = {\n  async total() {\n    \'use femto\'\n  },', 'const VAT = 0.3\n\nexport const shop = {\n  async total() {},')
    await expect.poll(() => overlay.count()).toBe(0)
    await quoteShows(page, 'price: €24.00 + €7.20 VAT = €31.20')
    await page.close()
  })

  it('brings back a page that an edit broke once the edit is undone, though its code is then the same as before', async () => {
    const page = await browser.newPage()
    await openShop(page, url)
    await mark(page)
    edit('src/pricing.ts', 'Math.round(net * VAT)', 'Math.round(net * VAT')
    // Vite reloads the page, which then fails to import the module, and shows why.
    await expect.poll(() => marked(page).catch(() => true)).toBe(false)
    const overlay = page.locator('vite-error-overlay')
    await expect.poll(() => overlay.count()).toBe(1)
    edit('src/pricing.ts', 'Math.round(net * VAT', 'Math.round(net * VAT)')
    await expect.poll(() => overlay.count()).toBe(0)
    await quoteShows(page, 'price: €24.00 + €7.20 VAT = €31.20')
    await page.close()
  })

  it('reloads the page after an edit that changes its stubs: a parameter added', async () => {
    const page = await browser.newPage()
    await openShop(page, url)
    await mark(page)
    // Only the types change, and with them the contract that the stub carries.
    edit('src/pricing.ts', 'price(items: LineItem[])', 'price(items: LineItem[], note?: string)')
    await expect.poll(() => marked(page)).toBe(false)
    await quoteShows(page, 'price: €24.00 + €7.20 VAT = €31.20')
    await page.close()
  })
})
