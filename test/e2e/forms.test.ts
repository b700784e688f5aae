import type { Browser } from 'playwright-core'
import type { Running } from '../../src/up/up'
import { createHash, randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { up } from '../../src/up/up'
import { launchChromium, viteBuild } from '../helpers'

// Files and forms in a real browser (issue 18): the uploads fixture's page under femto up.
const APP = join(import.meta.dirname, '../fixtures/uploads-app')

let running: Running
let browser: Browser

beforeAll(async () => {
  const dist = await viteBuild(APP, 'dist')
  running = await up({ outDir: dist, port: 0, freePorts: true, out: new PassThrough().resume() })
  browser = await launchChromium()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await running?.close()
})

describe('files and forms in Chromium', () => {
  it('a 5 MB file from <input type=file> reaches the function with its name, type, size and the browser\'s hash', async () => {
    const page = await browser.newPage()
    await page.goto(running.url)
    await expect.poll(() => page.title()).toBe('uploads ready')
    const bytes = randomBytes(5 * 1024 * 1024)
    await page.setInputFiles('#file', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: bytes })
    const { browserHash, facts } = await page.evaluate(async () => {
      const file = document.querySelector<HTMLInputElement>('#file')!.files![0]!
      const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer())
      const browserHash = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('')
      const facts = await (globalThis as any).femto.describeFile(file, 'from the page')
      return { browserHash, facts }
    })
    expect(browserHash).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(facts).toEqual({ name: 'holiday.jpg', type: 'image/jpeg', size: 5 * 1024 * 1024, sha256: browserHash, label: 'from the page' })
    await page.close()
  })

  it('a form submitted with JavaScript disabled runs the function and the browser lands back on the page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(running.url)
    await Promise.all([page.waitForURL(/femto-status=/), page.click('button[type=submit]')])
    const url = new URL(page.url())
    expect(url.pathname).toBe('/')
    expect(Object.fromEntries(url.searchParams)).toEqual({ 'femto': 'signUp', 'femto-status': 'ok', 'femto-result': JSON.stringify({ name: 'Ada', age: 36, subscribe: true, tags: ['a', 'b'] }) })
    // An error lands there too, with its code.
    await page.fill('input[name=name]', 'taken')
    await Promise.all([page.waitForURL(/femto-status=error/), page.click('button[type=submit]')])
    expect(new URL(page.url()).searchParams.get('femto-error')).toBe('NAME_TAKEN')
    await context.close()
  })

  it('the same form with JavaScript goes through the stub, with the attributes the helper gives', async () => {
    const page = await browser.newPage()
    const posts: { accept: string | undefined }[] = []
    page.on('request', (request) => {
      if (request.method() === 'POST')
        posts.push({ accept: request.headers().accept })
    })
    await page.goto(running.url)
    await expect.poll(() => page.title()).toBe('uploads ready')
    expect(JSON.parse((await page.getAttribute('#signup', 'data-attributes'))!)).toEqual({ action: '/femto/signUp', method: 'post', enctype: 'multipart/form-data' })
    await page.click('button[type=submit]')
    await expect.poll(() => page.textContent('#outcome')).toBe(`stub: ${JSON.stringify({ name: 'Ada', age: 36, subscribe: true, tags: ['a', 'b'] })}`)
    expect(new URL(page.url()).search).toBe('')
    expect(posts).toEqual([{ accept: 'application/vnd.femto+devalue' }])
    await page.close()
  })

  it('a FormData from the page reaches a FormData parameter through the stub, and the same form posts without JavaScript', async () => {
    const bytes = randomBytes(1024 * 1024)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    const avatar = { name: 'me.png', type: 'image/png', size: bytes.length, sha256 }
    const page = await browser.newPage()
    await page.goto(running.url)
    await expect.poll(() => page.title()).toBe('uploads ready')
    await page.setInputFiles('#signup-form input[type=file]', { name: 'me.png', mimeType: 'image/png', buffer: bytes })
    const facts = await page.evaluate(() => (globalThis as any).femto.signupForm(new FormData(document.querySelector<HTMLFormElement>('#signup-form')!)))
    expect(facts).toEqual({ name: 'Eve', tags: ['x'], keys: ['name', 'tags', 'avatar'], avatar })
    await page.close()

    const context = await browser.newContext({ javaScriptEnabled: false })
    const plain = await context.newPage()
    await plain.goto(running.url)
    await plain.setInputFiles('#signup-form input[type=file]', { name: 'me.png', mimeType: 'image/png', buffer: bytes })
    await Promise.all([plain.waitForURL(/femto-status=/), plain.click('#signup-form button[type=submit]')])
    const landed = new URL(plain.url()).searchParams
    expect([landed.get('femto'), landed.get('femto-status'), JSON.parse(landed.get('femto-result')!)]).toEqual(['signupForm', 'ok', { name: 'Eve', tags: ['x'], keys: ['name', 'tags', 'avatar'], avatar }])
    await context.close()
  })
})
