// The deploy output on the real engine: images built from the generated Dockerfiles, the
// generated Compose file run by docker-compose, and calls through the generated gateway.
import type { Manifest } from '../../src/core/build/manifest'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { viteBuild } from '../helpers'
import { dockerAnswers, ensureStandinImages } from '../support/docker'

const FIXTURE = join(import.meta.dirname, '../fixtures/deploy-app')
const run = promisify(execFile)

let work: string
let dist: string
let project: string
let gateway: string
const compose = (...args: string[]) => run('docker-compose', ['-p', project, '-f', join(dist, 'deploy/docker-compose.yml'), ...args], { env: { ...process.env, PAYMENT_API_KEY: 'pay-key-1' }, maxBuffer: 16 << 20 })

beforeAll(async () => {
  // Fails, not skips, without a daemon: .ci/run starts one.
  if (!dockerAnswers())
    throw new Error('no Docker daemon answers `docker info`; start dockerd (see .ci/run)')
  const images = ensureStandinImages()
  work = mkdtempSync(join(tmpdir(), 'femto-docker-app-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  dist = await viteBuild(work, 'dist', {
    files: { quote: ['config/prices.json'] },
    deploy: { baseImage: images.node, gatewayImage: images.nginx, gatewayHost: '127.0.0.1', gatewayPort: 0 },
  })
  project = `femto-test-${process.pid}`
  await compose('up', '-d', '--build').catch(async (error) => {
    const logs = await compose('logs', '--no-color', '--tail', '40').catch(e => e)
    throw new Error(`${error.message}\n--- docker-compose logs ---\n${logs.stdout ?? ''}${logs.stderr ?? ''}`)
  })
  const { stdout } = await compose('port', 'femto-gateway', '8080')
  gateway = `http://${stdout.trim()}`
}, 300_000)

afterAll(async () => {
  if (project)
    await compose('down', '--volumes', '--rmi', 'all', '--remove-orphans', '-t', '5').catch(() => {})
  if (work)
    rmSync(work, { recursive: true, force: true })
}, 120_000)

async function healthy(): Promise<Record<string, string>> {
  const { stdout } = await run('docker', ['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Label "com.docker.compose.service"}} {{.Status}}'])
  return Object.fromEntries(stdout.trim().split('\n').map(line => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]))
}

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

  it('runs every service healthy, as the non-root user, from an image holding its bundle', async () => {
    await expect.poll(async () => Object.values(await healthy()).every(s => s.includes('(healthy)')), { timeout: 60_000, interval: 500 }).toBe(true)
    const manifest: Manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
    const services = parse(readFileSync(join(dist, 'deploy/docker-compose.yml'), 'utf8')).services
    for (const service of manifest.services) {
      expect(services[service.name].image).toBe(`femto-${service.name}:${service.hash}`)
      const { stdout } = await run('docker', ['run', '--rm', '--entrypoint', 'node', services[service.name].image, '-e', 'console.log(JSON.stringify([process.getuid(), require("fs").readdirSync(".")]))'])
      const [uid, files] = JSON.parse(stdout)
      expect(uid).toBe(1000)
      expect(files).toContain(service.file)
    }
  })

  it('answers a call that crosses two containers through the gateway, and a bad argument with 400', async () => {
    const ok = await post('/femto/checkout', ['apple', 3])
    expect(ok).toEqual({ status: 200, body: { total: 9, key: 'set' } })
    const bad = await post('/femto/checkout', ['apple', 'three'])
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT')
  })
})
