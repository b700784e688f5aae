// The deploy output on the real engine: images built from the generated Dockerfiles, the
// generated Compose file run by docker-compose, and calls through the generated gateway.
import type { Manifest } from '../../src/core/build/manifest'
import type { ComposeProject } from '../support/docker'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { viteBuild } from '../helpers'
import { composeProject, composeUp, dockerAnswers, ensureStandinImages } from '../support/docker'

const FIXTURE = join(import.meta.dirname, '../fixtures/deploy-app')
const run = promisify(execFile)

let work: string
let dist: string
let project: ComposeProject | undefined
let gateway: string

beforeAll(async () => {
  // Fails, not skips, without a daemon: .ci/run starts one.
  if (!dockerAnswers())
    throw new Error('no Docker daemon answers `docker info`; start dockerd (see .ci/run)')
  const images = ensureStandinImages()
  work = mkdtempSync(join(tmpdir(), 'femto-docker-app-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  dist = await viteBuild(work, 'dist', {
    files: { quote: ['config/prices.json'] },
    deploy: { baseImage: images.node, gatewayHost: '127.0.0.1', gatewayPort: 0 },
  })
  project = composeProject(`femto-test-${process.pid}`, [join(dist, 'deploy/docker-compose.yml')], { PAYMENT_API_KEY: 'pay-key-1' })
  await composeUp(project, '-d', '--build')
  gateway = `http://${await project.gatewayAddress()}`
}, 300_000)

afterAll(async () => {
  await project?.down()
  if (work)
    rmSync(work, { recursive: true, force: true })
}, 120_000)

async function post(path: string, body: unknown) {
  const res = await fetch(`${gateway}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

describe('the Compose output on Docker', () => {
  it('publishes only the gateway, on the address asked for', () => {
    expect(gateway).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const services = parse(readFileSync(join(dist, 'deploy/docker-compose.yml'), 'utf8')).services
    expect(Object.keys(services).filter(name => services[name].ports)).toEqual(['femto-gateway'])
  })

  it('runs every service and the gateway healthy, as the non-root user, from an image holding its bundle', async () => {
    await expect.poll(async () => Object.values(await project!.statuses()).every(s => s.includes('(healthy)')), { timeout: 60_000, interval: 500 }).toBe(true)
    expect(Object.keys(await project!.statuses()).sort()).toEqual(['add', 'checkout', 'femto-gateway', 'quote'])
    const manifest: Manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
    const services = parse(readFileSync(join(dist, 'deploy/docker-compose.yml'), 'utf8')).services
    for (const service of manifest.services) {
      expect(services[service.name].image).toBe(`femto-${service.name}:${service.hash}`)
      const { stdout } = await run('docker', ['run', '--rm', '--entrypoint', 'node', services[service.name].image, '-e', 'console.log(JSON.stringify([process.getuid(), require("fs").readdirSync(".")]))'])
      const [uid, files] = JSON.parse(stdout)
      expect(uid).toBe(1000)
      expect(files).toContain(service.file)
    }
    // The gateway: the Node base image too, its one file, the routes and the client build.
    const { stdout } = await run('docker', ['run', '--rm', '--entrypoint', 'node', services['femto-gateway'].image, '-e', 'console.log(JSON.stringify([process.getuid(), require("fs").readdirSync(".").sort()]))'])
    expect(JSON.parse(stdout)).toEqual([1000, ['client', 'femto.json', 'gateway.mjs']])
  })

  it('answers a call that crosses two containers through the gateway, and a bad argument with 400', async () => {
    const ok = await post('/femto/checkout', ['apple', 3])
    expect(ok).toEqual({ status: 200, body: { total: 9, key: 'set' } })
    const bad = await post('/femto/checkout', ['apple', 'three'])
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT')
    // The client build, from the same origin.
    const page = await fetch(`${gateway}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<pre id="out"></pre>')
  })
})
