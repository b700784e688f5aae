import type { Browser } from 'playwright-core'
import type { PreviewServer } from 'vite'
import { join } from 'node:path'
import { preview } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import femto from '../../src/vite'
import { APP_OPTIONS } from '../fixtures/app/expected'
import { launchChromium, post, viteBuild } from '../helpers'

const APP = join(import.meta.dirname, '../fixtures/app')
const OUT = 'dist-preview'

let server: PreviewServer
let url: string
let browser: Browser

beforeAll(async () => {
  await viteBuild(APP, OUT, APP_OPTIONS)
  // `vite preview` with the config the build had: the same plugin options and output folder.
  server = await preview({
    root: APP,
    configFile: false,
    logLevel: 'silent',
    plugins: [femto({ summary: false, outDir: OUT, ...APP_OPTIONS })],
    build: { outDir: OUT },
    preview: { port: 0, host: '127.0.0.1' },
  })
  url = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('vite preview of a build', () => {
  it('runs the page, whose calls reach the built services', async () => {
    const page = await browser.newPage()
    const calls: number[] = []
    page.on('response', (response) => {
      if (response.request().method() === 'POST')
        calls.push(response.status())
    })
    await page.goto(url)
    await expect.poll(() => page.locator('#out').textContent(), { timeout: 15_000 }).toContain('"order"')
    const results = JSON.parse((await page.locator('#out').textContent())!)
    expect(results).toMatchObject({ add: 5, greet: 'hello ada from a server' })
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.every(status => status === 200)).toBe(true)
    await page.close()
  })

  it('answers with the production wire: contract checks, errors, unknown functions', async () => {
    expect((await post(`${url}/femto/add`, [2, 3])).body).toBe(5)
    const wrong = await post(`${url}/femto/add`, [1])
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.code).toBe('INVALID_ARGUMENT')
    expect((await post(`${url}/femto/nope`, [])).status).toBe(404)
  })

  it('serves the client build, never a service file', async () => {
    for (const path of ['/servers/add.js', '/servers/router.js', '/servers/femto.json', '/add.js', '/router.js'])
      expect((await fetch(`${url}${path}`)).headers.get('content-type') ?? '', path).not.toContain('javascript')
    expect(await (await fetch(`${url}/servers/femto.json`)).text()).not.toContain('"services"')
  })
})
