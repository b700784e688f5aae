import type { ChildProcess } from 'node:child_process'
import type { Browser } from 'playwright-core'
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createBuilder } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, post, readTree } from '../helpers'
import { checkout } from './shop'

const ROOT = join(import.meta.dirname, '../..')
const PLAYGROUND = join(ROOT, 'playground')
const CLI = join(ROOT, 'dist/cli.js')

let up: ChildProcess
let output = ''
let url: string
let browser: Browser

beforeAll(async () => {
  // The playground's own vite.config.ts, with the plugin as the package ships it (dist/).
  mkdirSync(join(PLAYGROUND, 'dist-sibling'), { recursive: true })
  writeFileSync(join(PLAYGROUND, 'dist-sibling/secret.txt'), 'not for the browser')
  const builder = await createBuilder({ root: PLAYGROUND, logLevel: 'silent', build: { emptyOutDir: true } })
  await builder.buildApp()
  // A process group of its own: femto up and the services it starts are stopped together.
  up = spawn(process.execPath, [CLI, 'up', join(PLAYGROUND, 'dist'), '--port', '0', '--free-ports'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  up.stdout!.on('data', (c) => {
    output += c
  })
  up.stderr!.on('data', (c) => {
    output += c
  })
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`femto up did not start:\n${output}`)), 30_000)
    up.stdout!.on('data', () => {
      const match = /gateway at (http:\/\/localhost:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    up.once('exit', code => reject(new Error(`femto up exited with ${code}:\n${output}`)))
  })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  if (up?.pid !== undefined && up.exitCode === null && up.signalCode === null) {
    const exited = new Promise(resolve => up.once('exit', resolve))
    process.kill(-up.pid, 'SIGKILL')
    await exited
  }
})

describe('the playground through femto up, in real Chromium', () => {
  it('places an order across five services and shows the result', async () => {
    const page = await browser.newPage()
    const calls: string[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST')
        calls.push(new URL(request.url()).pathname)
    })
    await checkout(page, url, 5)
    // The browser made one request per call; the fan-out happened between services.
    expect(calls).toEqual(['/femto/checkStock', '/femto/price', '/femto/placeOrder'])
    await page.close()
  })

  it('shows a thrown error as a FemtoError with its code', async () => {
    const page = await browser.newPage()
    await page.goto(url)
    await page.selectOption('#sku', 'poster')
    await page.fill('#qty', '3')
    await page.click('#place')
    await expect.poll(() => page.locator('#log li.error').first().textContent())
      .toBe('placeOrder failed: OUT_OF_STOCK (HTTP 500): only 1 poster left, 3 wanted')
    await page.close()
  })

  it('ships no function body, server-only import or secret to the browser', () => {
    const client = [...readTree(join(PLAYGROUND, 'dist/client')).values()].join('\n')
    for (const marker of ['sk_live_playground_9d2e71', 'node:crypto', 'createHash', 'INVENTORY', 'OUT_OF_STOCK', 'sending confirmation', 'process.pid'])
      expect(client.includes(marker), marker).toBe(false)
    expect(client).toContain('/femto/placeOrder')
  })

  it('gateway: serves the app, hides the services, routes calls, falls back to index.html', async () => {
    expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html')
    expect(await (await fetch(`${url}/some/client/route`)).text()).toContain('femto shop')
    for (const hidden of ['/servers/femto.json', '/servers/charge.js', '/charge.js', '/router.js', '/%2e%2e/servers/charge.js'])
      expect((await fetch(`${url}${hidden}`)).status, hidden).toBe(404)
    // The client build is dist/client: a folder path there is the app's route, never a listing of the services.
    for (const route of ['/servers/', '/servers'])
      expect(await (await fetch(`${url}${route}`)).text(), route).toContain('femto shop')
    expect((await fetch(`${url}/%2e%2e/package.json`)).status).toBe(404)
    // A sibling folder whose name starts like the served one is outside it too.
    expect((await fetch(`${url}/%2e%2e/dist-sibling/secret.txt`)).status).toBe(404)
    expect((await post(`${url}/femto/price`, { items: [{ sku: 'tee', qty: 1 }] })).body).toMatchObject({ total: 3000 })
    expect((await post(`${url}/femto/nope`, [])).status).toBe(404)
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
  })

  it('prints one merged log stream prefixed by service, and stops every service on SIGTERM', async () => {
    expect(output).toMatch(/sendConfirmation +\| sending confirmation of A-\d+ to ada@example\.com/)
    expect(output).toMatch(/charge +\| \[femto\] charge listening on/)
    const exited = new Promise<number | null>(resolve => up.once('exit', code => resolve(code)))
    up.kill('SIGTERM')
    expect(await exited).toBe(0)
    // Nothing answers any more: the services went with it.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
  })
})
