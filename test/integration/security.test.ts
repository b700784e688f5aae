import type { Server } from 'node:http'
import type { Browser } from 'playwright-core'
import type { RunningProcess } from '../helpers'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway } from '../../src/up/gateway'
import { launchChromium, post, startNode, viteBuild } from '../helpers'

// Who may call: the shared service token (FEMTO_TOKEN), auth hooks for calls from outside,
// and the origin check for browsers, against real processes and real Chromium.

const APP = join(import.meta.dirname, '../fixtures/secure-app')
const TOKEN = 'test-token-5be1'
const PARTNER = 'https://partner.example'

let dist: string
const running: RunningProcess[] = []
const closers: (() => unknown)[] = []

async function start(name: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = await startNode(join(dist, 'servers', `${name}.js`), { env })
  running.push(proc)
  return proc
}

function listen(server: Server): Promise<string> {
  closers.push(() => server.close())
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)))
}

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist', { auth: 'src/auth.ts', allowedOrigins: [PARTNER], groups: { pings: ['ping', 'pingCount'] } })
})

afterAll(async () => {
  for (const close of closers)
    await close()
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('the shared FEMTO_TOKEN', () => {
  it('refuses calls without the token (401) and lets services that hold it call each other', async () => {
    const whoami = await start('whoami', { FEMTO_TOKEN: TOKEN })
    const relay = await start('relayWhoami', { FEMTO_TOKEN: TOKEN, FEMTO_URL_WHOAMI: whoami.url })
    const anonymous = await post(`${whoami.url}/femto/whoami`, [])
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'this service requires Authorization: Bearer <FEMTO_TOKEN>' })
    expect((await post(`${whoami.url}/femto/whoami`, [], { 'content-type': 'application/json', 'authorization': 'Bearer wrong' })).status).toBe(401)
    // The relay has no token from its caller here, so it must be called with it too.
    expect((await post(`${relay.url}/femto/relayWhoami`, [])).status).toBe(401)
    const through = await post(`${relay.url}/femto/relayWhoami`, [], { 'content-type': 'application/json', 'authorization': `Bearer ${TOKEN}` })
    expect(through.status, through.text).toBe(200)
    expect(through.body).toBe('ada')
    // Health stays open for probes.
    expect((await fetch(`${whoami.url}/healthz`)).status).toBe(200)
  })
})

describe('the token and user code', () => {
  it('never shows the token to a function: the caller\'s own Authorization, or none', async () => {
    const echo = await start('echoAuth', { FEMTO_TOKEN: TOKEN })
    process.env.FEMTO_TOKEN = TOKEN
    try {
      const origin = await listen(createGateway({ staticDir: dist, hidden: ['servers'], basePath: '/femto', routes: new Map([['/femto/echoAuth', echo.url]]) }))
      expect((await post(`${origin}/femto/echoAuth`, [], { 'content-type': 'application/json', 'authorization': 'Bearer browser-own' })).body).toBe('Bearer browser-own')
      expect((await post(`${origin}/femto/echoAuth`, [])).body).toBeNull()
      expect((await post(`${echo.url}/femto/echoAuth`, [], { 'content-type': 'application/json', 'authorization': `Bearer ${TOKEN}` })).body).toBeNull()
    }
    finally {
      delete process.env.FEMTO_TOKEN
    }
  })
})

describe('auth hooks', () => {
  it('a function\'s own hook refuses (403) and allows by session cookie', async () => {
    const whoami = await start('whoami')
    const refused = await post(`${whoami.url}/femto/whoami`, [])
    expect(refused.status).toBe(403)
    expect(refused.body.error).toEqual({ code: 'FORBIDDEN', message: 'the auth hook of whoami refused this call' })
    const allowed = await post(`${whoami.url}/femto/whoami`, [], { 'content-type': 'application/json', 'cookie': 'theme=dark; session=valid-session' })
    expect(allowed.status).toBe(200)
  })

  it('a hook may answer 401 by throwing UNAUTHORIZED, and runs within the function\'s timeout', async () => {
    const profile = await start('profile')
    const anonymous = await post(`${profile.url}/femto/profile`, [])
    expect([anonymous.status, anonymous.body.error]).toEqual([401, { code: 'UNAUTHORIZED', message: 'sign in first' }])
    expect((await post(`${profile.url}/femto/profile`, [], { 'content-type': 'application/json', 'cookie': 'session=stolen' })).status).toBe(403)
    const gated = await start('gated')
    const stuck = await post(`${gated.url}/femto/gated`, [])
    expect([stuck.status, stuck.body.error]).toEqual([504, { code: 'TIMEOUT', message: 'the auth hook of gated ran past its timeout of 200 ms' }])
  })

  it('the global hook (auth option) covers functions without their own; a refused call never runs', async () => {
    const pings = await start('pings')
    const count = async (): Promise<number> => (await post(`${pings.url}/femto/pingCount`, [])).body
    expect((await post(`${pings.url}/femto/ping`, [])).body).toBe('pong')
    const blocked = await post(`${pings.url}/femto/ping`, [], { 'content-type': 'application/json', 'x-block': '1' })
    expect(blocked.status).toBe(403)
    expect(await count()).toBe(1)
  })

  it('behind the gateway with FEMTO_TOKEN, browser calls carry the token and the hook sees the browser\'s own headers', async () => {
    const whoami = await start('whoami', { FEMTO_TOKEN: TOKEN })
    process.env.FEMTO_TOKEN = TOKEN
    try {
      const origin = await listen(createGateway({ staticDir: dist, hidden: ['servers'], basePath: '/femto', routes: new Map([['/femto/whoami', whoami.url]]) }))
      expect((await post(`${origin}/femto/whoami`, [])).status).toBe(403)
      const signedIn = await post(`${origin}/femto/whoami`, [], { 'content-type': 'application/json', 'cookie': 'session=valid-session', 'authorization': 'Bearer browser-own' })
      expect(signedIn.status, signedIn.text).toBe(200)
      // A browser cannot pass for a service: the gateway drops the mark of a call from inside.
      expect((await post(`${origin}/femto/whoami`, [], { 'content-type': 'application/json', 'x-femto-internal': '1' })).status).toBe(403)
    }
    finally {
      delete process.env.FEMTO_TOKEN
    }
  })
})

describe('the edges', () => {
  it('the gateway answers a request it cannot forward (HTTP/1.0 without Host) instead of crashing', async () => {
    const pings = await start('pings')
    const gateway = createGateway({ staticDir: dist, hidden: ['servers'], basePath: '/femto', routes: new Map([['/femto/ping', pings.url]]) })
    const origin = await listen(gateway)
    const { port } = new URL(origin)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /femto/ping HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]'))
      let text = ''
      socket.on('data', (c) => {
        text += c
      })
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.[01] 200/)
    expect((await fetch(`${origin}/healthz`)).status).toBe(200)
  })

  it('router.js answers /metrics only with the token when there is one', async () => {
    const router = (await import(pathToFileURL(join(dist, 'servers/router.js')).href)).default
    const app = express()
    app.use(router)
    const origin = await listen(createServer(app))
    process.env.FEMTO_TOKEN = TOKEN
    try {
      expect((await fetch(`${origin}/metrics`)).status).toBe(401)
      const metrics = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(metrics.status).toBe(200)
      expect(await metrics.text()).toContain('femto_requests_in_flight')
    }
    finally {
      delete process.env.FEMTO_TOKEN
    }
    expect((await fetch(`${origin}/metrics`)).status).toBe(200)
  })
})

describe('origins', () => {
  it('answers preflights for allowed origins only, and refuses cross-origin calls from others', async () => {
    const pings = await start('pings')
    const url = `${pings.url}/femto/ping`
    const preflight = (origin: string): Promise<Response> => fetch(url, { method: 'OPTIONS', headers: { 'origin': origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })
    const allowed = await preflight(PARTNER)
    expect(allowed.status).toBe(204)
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PARTNER)
    expect(allowed.headers.get('access-control-allow-headers')).toBe('content-type')
    expect((await preflight('https://evil.example')).status).toBe(403)

    const fromPartner = await post(url, [], { 'content-type': 'application/json', 'origin': PARTNER, 'sec-fetch-site': 'cross-site' })
    expect(fromPartner.status).toBe(200)
    expect(fromPartner.headers.get('access-control-allow-origin')).toBe(PARTNER)
    const fromEvil = await post(url, [], { 'content-type': 'text/plain', 'origin': 'https://evil.example', 'sec-fetch-site': 'cross-site' })
    expect(fromEvil.status).toBe(403)
    expect(fromEvil.body.error.message).toMatch(/calls from https:\/\/evil\.example are refused/)
  })

  describe('in Chromium', () => {
    let browser: Browser
    let app: string
    let other: string
    let pings: RunningProcess

    beforeAll(async () => {
      browser = await launchChromium()
      pings = await start('pings')
      app = await listen(createGateway({ staticDir: dist, hidden: ['servers'], basePath: '/femto', routes: new Map([['/femto/ping', pings.url], ['/femto/pingCount', pings.url]]) }))
      // Another site: a page on another origin (another port) that tries to call the app's services.
      other = await listen(createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end('<!doctype html><title>other</title>')
      }))
    })

    afterAll(async () => {
      await browser?.close()
    })

    const tryCall = (page: import('playwright-core').Page, target: string, contentType: string): Promise<string> => page.evaluate(async ({ target, contentType }) => {
      try {
        const res = await fetch(`${target}/femto/ping`, { method: 'POST', headers: { 'content-type': contentType }, body: '[]' })
        return `${res.status} ${await res.text()}`
      }
      catch (error) {
        return `failed: ${(error as Error).message}`
      }
    }, { target, contentType })

    it('the app\'s own page can call; a page on another origin cannot, even with a "simple" request', async () => {
      const count = async (): Promise<number> => (await post(`${app}/femto/pingCount`, [])).body
      const own = await browser.newPage()
      await own.goto(`${app}/`)
      expect(await tryCall(own, app, 'application/json')).toBe('200 "pong"')
      const before = await count()

      const page = await browser.newPage()
      await page.goto(`${other}/`)
      expect(await tryCall(page, app, 'application/json')).toMatch(/^failed: /)
      // text/plain needs no preflight: the browser sends it, the service must refuse it itself.
      expect(await tryCall(page, app, 'text/plain')).toMatch(/^failed: /)
      expect(await count()).toBe(before)
      await page.close()
      await own.close()
    })

    it('a page on an allowed origin can call', async () => {
      const allowedPings = await start('pings', { FEMTO_ALLOWED_ORIGINS: other })
      const page = await browser.newPage()
      await page.goto(`${other}/`)
      expect(await tryCall(page, allowedPings.url, 'application/json')).toBe('200 "pong"')
      await page.close()
    })
  })
})
