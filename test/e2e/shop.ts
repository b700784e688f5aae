import type { Page } from 'playwright-core'
import { expect } from 'vitest'

/**
 * The first line of the playground's log, as the user reads it, or null while it has none. Read at
 * once, for polls: a locator waits up to 30 s for a line, and a page that vite dev reloads after an
 * edit has none until the next click, so one read could outlast the whole test.
 */
export function lastLog(page: Page): Promise<string | null> {
  return page.evaluate(() => document.querySelector('#log li')?.textContent ?? null)
}

/** Loads the playground's page and waits until it is the shop. */
export async function openShop(page: Page, url: string): Promise<void> {
  await page.goto(url)
  await expect.poll(() => page.title()).toBe('femto shop')
}

/**
 * The playground's checkout as a user clicks it: a stock check, a quote, an order. `processes`
 * is how many distinct processes served the order's five functions.
 */
export async function checkout(page: Page, url: string, processes: number): Promise<void> {
  // A first call may wait for a cold start (a dev server's first TypeScript program) on a loaded machine.
  const answered = { timeout: 30_000 }
  await openShop(page, url)
  await page.click('#check')
  await expect.poll(() => lastLog(page), answered).toMatch(/^checkStock: 40 Mug in stock$/)
  await page.click('#quote')
  await expect.poll(() => lastLog(page), answered).toBe('price: €24.00 + €4.80 VAT = €28.80')
  await page.click('#place')
  await expect.poll(() => lastLog(page), answered).toMatch(new RegExp(
    `^placeOrder: order A-\\d+ confirmed: €28\\.80 charged to card ending 4242, receipt [0-9a-f]{12}, email "Order A-\\d+ confirmed" \\(served by ${processes} processes\\)$`,
  ))
}
