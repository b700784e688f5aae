// Version skew on the real engine: a Chromium page loaded against version 1 of the Compose
// deploy; quote's and checkout's parameter types changed, rebuilt, `femto deploy dist`,
// `docker-compose up -d --build`: the old page still gets version 1's results (its calls routed
// by contract to the previous versions' containers, checkout's call of quote too), a fresh page
// version 2's; after the window, one more deploy retires version 1 and the old page reloads onto 2.
import type { Browser, Page } from 'playwright-core'
import type { Manifest } from '../../src/core/build/manifest'
import type { ComposeProject } from '../support/docker'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { editFile, freePort, launchChromium, viteBuild } from '../helpers'
import { deployAndUp, dockerAnswers, ensureStandinImages, removeImages } from '../support/docker'

const FIXTURE = join(import.meta.dirname, '../fixtures/skew-app')
const V1 = ['v1:7', 'checkout v1:7']
const V2 = ['v2:7', 'checkout v2:7']

let work: string
let dist: string
let options: Parameters<typeof viteBuild>[2]
let project: ComposeProject | undefined
let browser: Browser
const images = new Set<string>()

const manifest = (): Manifest => JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))

/** The deploy as the deploying guide says it (test/support/docker.ts); the gateway's address. */
async function deploy(...up: string[]): Promise<string> {
  let gateway: string
  ({ project, gateway } = await deployAndUp(dist, `femto-skew-${process.pid}`, images, ...up))
  return gateway
}

async function click(page: Page): Promise<unknown> {
  await expect.poll(() => page.evaluate(() => document.body.dataset.ready)).toBe('1')
  await page.evaluate(() => document.querySelector('#out')!.textContent = '')
  await page.click('#go')
  await expect.poll(() => page.locator('#out').textContent(), { timeout: 30_000 }).not.toBe('')
  return JSON.parse((await page.locator('#out').textContent())!)
}

beforeAll(async () => {
  if (!dockerAnswers())
    throw new Error('no Docker daemon answers `docker info`; start dockerd (see .ci/run)')
  const { node } = ensureStandinImages()
  work = mkdtempSync(join(tmpdir(), 'femto-skew-docker-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|node_modules)$/.test(src) })
  // Long enough for a rebuild and a Compose roll on a slow machine; the test waits it out once.
  // One gateway port for every deploy: the old page's origin must stay the same when the gateway is recreated.
  options = { skewWindow: '100s', deploy: { baseImage: node, gatewayHost: '127.0.0.1', gatewayPort: await freePort() } }
  dist = await viteBuild(work, 'dist', options)
  browser = await launchChromium()
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await project?.down()
  await removeImages([...images])
  if (work)
    rmSync(work, { recursive: true, force: true })
}, 120_000)

describe('version skew on Compose', () => {
  it('keeps an old page on version 1 through a deploy that changes contracts, then retires it', async () => {
    let gateway = await deploy()
    const old = await browser.newPage()
    let loads = 0
    old.on('load', () => void loads++)
    await old.goto(gateway)
    expect(await click(old)).toEqual({ result: V1 })

    editFile(join(work, 'src/quote.ts'), 'quote(amount: number) {\n  \'use femto\'\n  return `v1:', 'quote(amount: number | string) {\n  \'use femto\'\n  return `v2:')
    editFile(join(work, 'src/checkout.ts'), 'checkout(amount: number)', 'checkout(amount: number | string)')
    await viteBuild(work, 'dist', options)
    const quote = manifest().functions.find(fn => fn.name === 'quote')!
    expect(quote.previous).toHaveLength(1)
    gateway = await deploy()
    // The previous versions run as services of their own, beside the current ones.
    const running = Object.keys(await project!.statuses())
    expect(running).toEqual(expect.arrayContaining(['quote', 'checkout', `quote-${quote.previous![0]!.hash}`, 'femto-gateway']))

    expect(await click(old)).toEqual({ result: V1 })
    const fresh = await browser.newPage()
    await fresh.goto(gateway)
    expect(await click(fresh)).toEqual({ result: V2 })
    expect(loads).toBe(1)

    // After the window, the next deploy drops version 1: the old page meets STALE_CLIENT and reloads onto version 2.
    const until = Date.parse(quote.previous![0]!.until)
    await expect.poll(() => Date.now() > until, { timeout: 150_000, interval: 1000 }).toBe(true)
    await viteBuild(work, 'dist', options)
    expect(manifest().functions.find(fn => fn.name === 'quote')!.previous).toBeUndefined()
    gateway = await deploy('--remove-orphans')
    expect(Object.keys(await project!.statuses())).not.toContain(`quote-${quote.previous![0]!.hash}`)
    await old.click('#go')
    await expect.poll(() => loads, { timeout: 30_000 }).toBe(2)
    expect(await click(old)).toEqual({ result: V2 })
    await old.close()
    await fresh.close()
  }, 600_000)
})
