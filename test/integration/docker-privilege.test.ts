// Least privilege on the real engine, with the default Compose output and no FEMTO_TOKEN exported
// by the user: the exposure-app's page imports getPrice (public), which calls priceOf (internal).
import type { Manifest } from '../../src/core/build/manifest'
import type { ComposeProject } from '../support/docker'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { viteBuild } from '../helpers'
import { composeProject, composeUp, dockerAnswers, ensureStandinImages } from '../support/docker'

const FIXTURE = join(import.meta.dirname, '../fixtures/exposure-app')

let work: string
let dist: string
let manifest: Manifest
let project: ComposeProject | undefined
let gateway: string
let token: string

beforeAll(async () => {
  // Fails, not skips, without a daemon: .ci/run starts one.
  if (!dockerAnswers())
    throw new Error('no Docker daemon answers `docker info`; start dockerd (see .ci/run)')
  // What this test is about: nobody exported a token.
  expect(process.env.FEMTO_TOKEN).toBeUndefined()
  const images = ensureStandinImages()
  work = mkdtempSync(join(tmpdir(), 'femto-docker-privilege-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  dist = await viteBuild(work, 'dist', { deploy: { baseImage: images.node, gatewayHost: '127.0.0.1', gatewayPort: 0 } })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  token = /^FEMTO_TOKEN=(\w+)$/m.exec(readFileSync(join(dist, 'femto.env'), 'utf8'))![1]!
  project = composeProject(`femto-privilege-${process.pid}`, [join(dist, 'deploy/docker-compose.yml')])
  await composeUp(project, '-d', '--build')
  gateway = `http://${await project.gatewayAddress()}`
}, 400_000)

afterAll(async () => {
  await project?.down()
  if (work)
    rmSync(work, { recursive: true, force: true })
}, 120_000)

async function post(path: string, body: unknown): Promise<{ status: number, body: any }> {
  const res = await fetch(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

/** A call made from inside the Compose network (from the gateway's container), as any container there could. */
async function callFromInside(url: string, headers: Record<string, string>): Promise<{ status: number, body: any }> {
  const script = `fetch(${JSON.stringify(url)},{method:'POST',headers:${JSON.stringify({ 'content-type': 'application/json', ...headers })},body:'["apple"]'}).then(async r=>console.log(JSON.stringify({status:r.status,body:await r.json()})))`
  const { stdout } = await project!.compose('exec', '-T', 'femto-gateway', 'node', '-e', script)
  return JSON.parse(stdout.trim())
}

describe('least privilege by default, on Docker', () => {
  it('every service starts in production with the token femto deploy wrote, none exported', async () => {
    await expect.poll(async () => Object.values(await project!.statuses()).every(s => s.includes('(healthy)')), { timeout: 60_000, interval: 500 }).toBe(true)
    const { stdout } = await project!.compose('exec', '-T', 'price-of', 'node', '-e', 'console.log(process.env.NODE_ENV, process.env.FEMTO_TOKEN)')
    expect(stdout.trim()).toBe(`production ${token}`)
  })

  it('the app works: a public function answers through the gateway, calling the internal one across containers', async () => {
    expect(await post('/femto/getPrice', ['apple'])).toEqual({ status: 200, body: { sku: 'apple', price: 3 } })
    expect(await post('/femto/paymentWebhook', ['paid'])).toEqual({ status: 200, body: { received: 'paid' } })
  })

  it('refuses the internal function through the gateway', async () => {
    const refused = await post('/femto/priceOf', ['apple'])
    expect(refused.status).toBe(404)
    expect(refused.body.error.code).toBe('NOT_FOUND')
  })

  it('refuses a call straight to the internal function\'s container: without the token 401, with it but from outside 403', async () => {
    const priceOf = manifest.services.find(s => s.name === 'priceOf')!
    const url = `http://price-of:${priceOf.port}/femto/priceOf`
    const anonymous = await callFromInside(url, {})
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } })
    const outside = await callFromInside(url, { authorization: `Bearer ${token}` })
    expect(outside).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } })
  })
})
