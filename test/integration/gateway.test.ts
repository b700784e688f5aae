import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, startNode, viteBuild } from '../helpers'

// The standalone gateway (dist/gateway.js, what a Compose deploy runs) and the hold of a call
// while its service restarts, against real services of a fixture build on OS ports.

const APP = join(import.meta.dirname, '../fixtures/restart-app')
const GATEWAY = join(import.meta.dirname, '../../dist/gateway.js')

let dist: string
let manifest: Manifest
let ledger: string
const running: RunningProcess[] = []

async function start(file: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = await startNode(file, { env })
  running.push(proc)
  return proc
}

const service = (name: string): string => join(dist, 'servers', `${name}.js`)
/** `FEMTO_URL_*` of every service, each pointing at `origins[name]` or at a port nobody listens on. */
function serviceUrls(origins: Record<string, string>): Record<string, string> {
  return Object.fromEntries(manifest.services.map(s => [s.env, origins[s.name] ?? 'http://127.0.0.1:9']))
}

/** Runs dist/gateway.js to its exit, for the configurations it must refuse. */
function gatewayExit(env: Record<string, string>): { status: number | null, lines: string[] } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FEMTO_')))
  const result = spawnSync(process.execPath, [GATEWAY], { cwd: mkdtempSync(join(tmpdir(), 'femto-gw-')), env: { ...clean, PORT: '0', ...env }, encoding: 'utf8', timeout: 15_000 })
  return { status: result.status, lines: (result.stdout + result.stderr).trim().split('\n') }
}

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist')
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  ledger = join(mkdtempSync(join(tmpdir(), 'femto-ledger-')), 'ledger.txt')
  writeFileSync(ledger, '')
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('the standalone gateway (node dist/gateway.js)', () => {
  it('refuses to start without its manifest, with one line', () => {
    const { status, lines } = gatewayExit({})
    expect(status).toBe(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^femto gateway: cannot read the manifest .*femto\.json \(no such file\); set FEMTO_MANIFEST/)
  })

  it('refuses to start when a service has no origin, naming its variable', () => {
    const urls = serviceUrls({})
    delete urls.FEMTO_URL_NOTE
    const { status, lines } = gatewayExit({ FEMTO_MANIFEST: join(dist, 'servers/femto.json'), ...urls })
    expect(status).toBe(1)
    expect(lines).toEqual([expect.stringMatching(/^femto gateway: FEMTO_URL_NOTE is not set; .* e\.g\. FEMTO_URL_NOTE=http:\/\/note:\d+$/)])
  })

  it('refuses a static folder that is not there, and a service origin that is not a URL', () => {
    const base = { FEMTO_MANIFEST: join(dist, 'servers/femto.json'), ...serviceUrls({}) }
    expect(gatewayExit({ ...base, FEMTO_STATIC_DIR: '/no/such/folder' })).toEqual({ status: 1, lines: [expect.stringMatching(/FEMTO_STATIC_DIR=\/no\/such\/folder is not a folder/)] })
    expect(gatewayExit({ ...base, FEMTO_URL_ECHO: 'echo:3000' })).toEqual({ status: 1, lines: [expect.stringMatching(/FEMTO_URL_ECHO=echo:3000 is not an http\(s\) URL/)] })
  })

  it('routes each function to the origin in its service\'s FEMTO_URL_<NAME>, serves the client build, and stops on SIGTERM', async () => {
    const echo = await start(service('echo'), { LEDGER_FILE: ledger })
    const gateway = await start(GATEWAY, { FEMTO_MANIFEST: join(dist, 'servers/femto.json'), FEMTO_STATIC_DIR: join(dist, 'client'), ...serviceUrls({ echo: echo.url }) })
    expect(await post(`${gateway.url}/femto/echo`, ['main'])).toMatchObject({ status: 200, body: 'echo:main' })
    const page = await fetch(`${gateway.url}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<title>restart<\/title>/)
    expect(await fetch(`${gateway.url}/openapi.json`).then(r => r.status)).toBe(200)
    expect(await gateway.stop('SIGTERM')).toBe(0)
  })
})
