import type { AddressInfo } from 'node:net'
import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { analysisEntryFile } from '../../src/core/registry/analysis-cache'
import { APP_OPTIONS, CALLS, SERVER_ONLY, SERVICES } from '../fixtures/app/expected'
import { callsInFlight, post, readTree, startNode, viteBuild } from '../helpers'

const APP = join(import.meta.dirname, '../fixtures/app')
const run = promisify(execFile)
let dist: string
let manifest: Manifest
const running: RunningProcess[] = []

async function start(file: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = await startNode(file, { env })
  running.push(proc)
  return proc
}

/**
 * A service file copied into an empty folder with the servers folder's package.json, as a
 * service's image holds it, so nothing beside it can be imported.
 */
function isolated(name: string, from = dist): string {
  const dir = mkdtempSync(join(tmpdir(), `femto-${name}-`))
  copyFileSync(join(from, 'servers', `${name}.js`), join(dir, `${name}.js`))
  copyFileSync(join(from, 'servers/package.json'), join(dir, 'package.json'))
  return join(dir, `${name}.js`)
}

beforeAll(async () => {
  // Emptied first: what the analysis cache holds afterwards is what this build analysed.
  rmSync(dirname(analysisEntryFile(APP, APP)), { recursive: true, force: true })
  dist = await viteBuild(APP, 'dist', APP_OPTIONS)
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
})

const TLS = join(import.meta.dirname, '../fixtures/tls')

/** An https server in front of `target` (a TLS-terminating load balancer, say), recording what it passes on. */
async function tlsFront(target: string): Promise<{ url: string, calls: string[], close: () => Promise<void> }> {
  const calls: string[] = []
  const server = https.createServer({ key: readFileSync(join(TLS, 'localhost.key')), cert: readFileSync(join(TLS, 'localhost.crt')) }, (req, res) => {
    calls.push(`${req.method} ${req.url}`)
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    calls,
    close: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('vite build of a multi-file app', () => {
  it('writes one standalone service per function, the router and the manifest', () => {
    for (const name of SERVICES)
      expect(existsSync(join(dist, 'servers', `${name}.js`)), name).toBe(true)
    expect(existsSync(join(dist, 'servers/router.js'))).toBe(true)
    expect(existsSync(join(dist, 'client/index.html'))).toBe(true)

    expect(manifest.mode).toBe('split')
    expect(manifest.basePath).toBe('/femto')
    expect(manifest.functions.map(f => f.name)).toEqual(SERVICES)
    const ports = manifest.services.map(s => s.port)
    expect(new Set(ports).size).toBe(ports.length)
    for (const port of ports)
      expect(port).toBeGreaterThan(3100)
    for (const service of manifest.services) {
      const code = readFileSync(join(dist, 'servers', service.file))
      expect(service.hash).toBe(createHash('sha256').update(code).digest('hex').slice(0, 16))
      expect(service.bytes).toBe(code.length)
    }
    const byName = Object.fromEntries(manifest.functions.map(f => [f.name, f]))
    expect(byName.add).toMatchObject({ route: '/femto/add', service: 'add', source: 'src/math.ts', export: 'add', params: ['a', 'b'], policies: { bodyLimit: 1024 * 1024 } })
    // The secrets scope: each function's service reads only its own variables.
    expect(byName.sendEmail!.reads).toEqual({ names: ['SMTP_PASSWORD'], dynamic: false })
    expect(byName.add!.reads).toEqual({ names: [], dynamic: false })
    expect(manifest.router.reads.names).toContain('SMTP_PASSWORD')
    expect(byName.checkStock).toMatchObject({ source: 'src/orders.ts', export: 'checkStock', params: ['sku', 'extra'] })
    expect(byName.sendEmail).toMatchObject({ source: 'src/send-email.ts', export: 'default', params: ['to', 'subject'] })
    expect(byName.tally).toMatchObject({ export: 'default' })
    expect(byName.echoSize!.policies.bodyLimit).toBe(2048)
    // Reached only through the module graph (outside `include`), or only by the scan (no importer).
    expect(byName.outside!.source).toBe('lib/outside.ts')
    expect(byName.nightlyReport!.source).toBe('src/jobs.ts')
    expect(manifest.services.find(s => s.name === 'checkStock')!.env).toBe('FEMTO_URL_CHECK_STOCK')
  })

  it('names no folder of the build machine in a service file, so the same project built elsewhere makes the same bytes', () => {
    const repository = join(import.meta.dirname, '../..')
    for (const file of [...SERVICES.map(name => `${name}.js`), 'router.js']) {
      const code = readFileSync(join(dist, 'servers', file), 'utf8')
      expect(code, file).not.toContain(repository)
      // The runtime's modules are named from the project, as the other bundlers' passes name them.
      expect(code, file).toMatch(/^\/\/ (?:\.\.\/)+src\/runtime\/server\/[\w-]+\.ts$/m)
      expect(code, file).not.toMatch(/^\/\/ (?:\.\.\/)*femto-runtime\//m)
    }
  })

  it('leaves no femto function body, server-only import or secret in the client output', () => {
    const client = readTree(join(dist, 'client'))
    const js = [...client.entries()].filter(([file]) => file.endsWith('.js'))
    expect(js.length).toBeGreaterThan(0)
    const all = js.map(([, code]) => code).join('\n')
    for (const marker of SERVER_ONLY)
      expect(all.includes(marker), marker).toBe(false)
    expect(all).toContain('/femto/add')
    expect(all).toContain('/femto/placeOrder')
  })

  it('analyses the project\'s modules with the directive, never the plugin\'s own files that name it', () => {
    const naming = (dir: string, skip?: RegExp): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map(file => join(dir, file))
      .filter(file => /\.[jt]sx?$/.test(file) && !skip?.test(file) && readFileSync(file, 'utf8').includes('use femto'))
    const analysed = (file: string): boolean => existsSync(analysisEntryFile(APP, file))
    const own = naming(join(import.meta.dirname, '../../src'))
    // The runtime's messages name the directive: the client build imports such a file.
    expect(own.some(file => file.includes('/runtime/'))).toBe(true)
    expect(own.filter(analysed)).toEqual([])
    const project = naming(APP, /[\\/](?:node_modules|dist[^\\/]*)[\\/]/)
    expect(project.length).toBeGreaterThan(3)
    expect(project.filter(file => !analysed(file))).toEqual([])
  })

  it('keeps each service to its own functions: others are stubs, their imports are gone', () => {
    const add = readFileSync(join(dist, 'servers/add.js'), 'utf8')
    expect(add).toContain('body-marker-add')
    for (const other of ['body-marker-multiply', 'body-marker-place', 'femto-secret-7f3a9b'])
      expect(add.includes(other), other).toBe(false)
    expect(add).not.toMatch(/from ['"]express['"]/)
    const order = readFileSync(join(dist, 'servers/placeOrder.js'), 'utf8')
    expect(order).toContain('body-marker-place')
    expect(order).not.toContain('body-marker-check')
    expect(order).not.toContain('body-marker-add')
  })

  it('runs every service alone from an empty folder and answers plain JSON', async () => {
    const results = await Promise.all(Object.entries(CALLS).map(async ([name, [args, expected]]) => {
      const service = await start(isolated(name))
      const byRoute = await post(`${service.url}/femto/${name}`, args)
      const byRoot = await post(`${service.url}/`, args)
      return { name, byRoute, byRoot, expected }
    }))
    for (const { name, byRoute, byRoot, expected } of results) {
      expect({ name, status: byRoute.status, body: byRoute.body }).toEqual({ name, status: 200, body: expected })
      expect(byRoot.body, name).toEqual(byRoute.body)
      expect(byRoute.headers.get('content-type')).toBe('application/json; charset=utf-8')
    }
  })

  it('answers every malformed request with its 4xx JSON error and keeps serving', async () => {
    const add = await start(isolated('add'))
    const echo = await start(isolated('echoSize'))
    const url = `${add.url}/femto/add`
    const cases: [string, () => Promise<Response | { status: number, text: string }>, number, string][] = [
      ['invalid JSON', () => post(url, '[2,', { 'content-type': 'application/json' }), 400, 'INVALID_JSON'],
      ['too many arguments', () => post(url, [1, 2, 3]), 400, 'INVALID_ARGUMENT'],
      ['too few arguments', () => post(url, [1]), 400, 'INVALID_ARGUMENT'],
      ['unknown named argument', () => post(url, { a: 1, b: 2, c: 3 }), 400, 'INVALID_ARGUMENT'],
      ['missing named argument', () => post(url, { a: 1 }), 400, 'INVALID_ARGUMENT'],
      ['a body that is neither array nor object', () => post(url, '42'), 400, 'INVALID_ARGUMENT'],
      ['unknown function', () => post(`${add.url}/femto/nope`, [1, 2]), 404, 'NOT_FOUND'],
      ['unknown path', () => post(`${add.url}/elsewhere`, [1, 2]), 404, 'NOT_FOUND'],
      ['wrong method', () => fetch(url), 405, 'METHOD_NOT_ALLOWED'],
      ['wrong method PUT', () => fetch(url, { method: 'PUT', body: '[1,2]' }), 405, 'METHOD_NOT_ALLOWED'],
      ['body over the limit', () => post(`${echo.url}/femto/echoSize`, ['x'.repeat(3000)]), 413, 'PAYLOAD_TOO_LARGE'],
      ['body far over the default limit', () => post(url, `[${'1,'.repeat(600_000)}1]`), 413, 'PAYLOAD_TOO_LARGE'],
      ['wrong content type', () => post(url, '[1,2]', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['no content type', () => post(url, '[1,2]', {}), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['a cross-site browser call (a "simple" request, no preflight)', () => post(url, undefined, { 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN'],
    ]
    for (const [what, send, status, code] of cases) {
      const res = await send()
      const text = 'text' in res && typeof res.text === 'string' ? res.text : await (res as Response).text()
      expect({ what, status: res.status }).toEqual({ what, status })
      expect(JSON.parse(text).error.code, what).toBe(code)
      expect(typeof JSON.parse(text).error.message, what).toBe('string')
      if (status === 405)
        expect((res as Response).headers.get('allow')).toBe('POST')
      const health = await fetch(`${add.url}/healthz`)
      expect(health.status, `healthy after ${what}`).toBe(200)
      expect((await post(url, [2, 3])).body, `still correct after ${what}`).toBe(5)
    }
    expect((await fetch(`${add.url}/readyz`)).status).toBe(200)
  })

  it('tells curl -d and Python\'s urllib, which send JSON as a form unless told otherwise, what to send', async () => {
    const add = await start(isolated('add'))
    const url = `${add.url}/femto/add`
    const python = 'import sys, urllib.request, urllib.error\ntry:\n  urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b\'{"a": 2, "b": 3}\'))\nexcept urllib.error.HTTPError as e:\n  print(e.code); print(e.read().decode())\n'
    for (const [command, args] of [['curl', ['-sS', '-w', '\n%{http_code}', '-d', '[2,3]', url]], ['python3', ['-c', python, url]]] as const) {
      const { stdout } = await run(command, [...args])
      const [first, second] = stdout.trim().split('\n')
      const [status, body] = command === 'curl' ? [second, first] : [first, second]
      expect([command, Number(status), JSON.parse(body!).error]).toEqual([command, 415, { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringMatching(/JSON sent as a form .*send it with content-type: application\/json$/) }])
    }
    // A form is still a form.
    expect((await run('curl', ['-sS', '-d', 'a=2&b=3', url])).stdout).toBe('5')
  })

  it('sends a thrown error as 500 with its name, message, code and props, and a stack only in development', async () => {
    // Production without a token needs the explicit opt-out (this test is about error answers, not the token).
    const prod = await start(isolated('checkStock'), { NODE_ENV: 'production', FEMTO_ALLOW_NO_TOKEN: '1' })
    const dev = await start(isolated('checkStock'), { NODE_ENV: 'development' })
    const fromProd = await post(`${prod.url}/femto/checkStock`, ['boom'])
    expect(fromProd.status).toBe(500)
    expect(fromProd.body.error).toMatchObject({ code: 'OUT_OF_STOCK', name: 'StockError', message: 'no stock for boom', data: { sku: 'boom' } })
    expect(fromProd.body.error.stack).toBeUndefined()
    expect(fromProd.body.error.requestId).toBe(fromProd.headers.get('x-request-id'))
    const fromDev = await post(`${dev.url}/femto/checkStock`, ['boom'])
    expect(fromDev.body.error.stack).toContain('StockError: no stock for boom')
    expect((await post(`${prod.url}/femto/checkStock`, ['ok'])).status).toBe(200)
  })

  it('says beside the services that they are ES modules, so Node never tries them as CommonJS first', async () => {
    expect(JSON.parse(readFileSync(join(dist, 'servers/package.json'), 'utf8'))).toEqual({ type: 'module' })
    // Without it Node 20.19+ compiles a service twice (CommonJS, then as a module); Nodes before
    // it, or this flag, refuse to run it at all.
    const add = await start(isolated('add'), { NODE_OPTIONS: '--no-experimental-detect-module' })
    expect((await post(`${add.url}/femto/add`, [2, 3])).body).toBe(5)
  })

  it('echoes x-request-id, or makes one, and reports Server-Timing', async () => {
    const add = await start(isolated('add'))
    const echoed = await post(`${add.url}/femto/add`, [1, 1], { 'content-type': 'application/json', 'x-request-id': 'req-42' })
    expect(echoed.headers.get('x-request-id')).toBe('req-42')
    const made = await post(`${add.url}/femto/add`, [1, 1])
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-z]+-[0-9a-z]+$/)
    const next = await post(`${add.url}/femto/add`, [1, 1])
    expect(next.headers.get('x-request-id')).not.toBe(made.headers.get('x-request-id'))
    expect(made.headers.get('server-timing')).toMatch(/^fn;dur=\d+\.\d+$/)
  })

  it('calls another service over HTTP when a function calls a femto function hosted elsewhere', async () => {
    const check = await start(isolated('checkStock'))
    const add = await start(isolated('add'))
    const mail = await start(isolated('sendEmail'))
    const env = { FEMTO_URL_CHECK_STOCK: check.url, FEMTO_URL_ADD: add.url, FEMTO_URL_SEND_EMAIL: mail.url }
    const order = await start(isolated('placeOrder'), env)
    const ok = await post(`${order.url}/femto/placeOrder`, { sku: 'sku-9', qty: 2, email: 'a@b.c' })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ stock: { sku: 'sku-9', ok: true }, total: 12, mail: { sent: true, to: 'a@b.c', subject: 'order sku-9' } })
    // The callee's error crosses the hop with its code.
    const failed = await post(`${order.url}/femto/placeOrder`, ['boom', 1, 'a@b.c'])
    expect(failed.body.error).toMatchObject({ code: 'OUT_OF_STOCK', name: 'StockError', message: 'no stock for boom', data: { sku: 'boom' } })
    expect(Object.keys(failed.body.error.data)).toEqual(['sku'])
    // With `add` gone, the caller reports that it could not reach it: the call really was remote.
    await add.stop()
    const unreachable = await post(`${order.url}/femto/placeOrder`, ['sku-9', 2, 'a@b.c'])
    expect(unreachable.status).toBe(500)
    expect(unreachable.body.error.code).toBe('UNAVAILABLE')
    expect(unreachable.body.error.message).toContain('add')
  })

  it('calls a callee on https, with the certificates Node trusts', async () => {
    const add = await start(isolated('add'))
    const front = await tlsFront(add.url)
    try {
      const check = await start(isolated('checkStock'))
      const mail = await start(isolated('sendEmail'))
      const env = { FEMTO_URL_CHECK_STOCK: check.url, FEMTO_URL_ADD: front.url, FEMTO_URL_SEND_EMAIL: mail.url }
      const order = await start(isolated('placeOrder'), { ...env, NODE_EXTRA_CA_CERTS: join(TLS, 'localhost.crt') })
      for (const qty of [2, 3]) {
        const ok = await post(`${order.url}/femto/placeOrder`, { sku: 'sku-9', qty, email: 'a@b.c' })
        expect(ok.body).toMatchObject({ stock: { sku: 'sku-9', ok: true }, total: qty + 10 })
      }
      expect(front.calls).toEqual(['POST /femto/add', 'POST /femto/add'])
      // Without the certificate the callee is not trusted, and the caller says so.
      const untrusting = await start(isolated('placeOrder'), env)
      const refused = await post(`${untrusting.url}/femto/placeOrder`, { sku: 'sku-9', qty: 2, email: 'a@b.c' })
      expect(refused.status).toBe(500)
      expect(refused.body.error.message).toMatch(/certificate/i)
    }
    finally {
      await front.close()
    }
  })

  it('finds a callee through FEMTO_GATEWAY when it has no FEMTO_URL_<NAME>', async () => {
    const check = await start(isolated('checkStock'))
    const add = await start(isolated('add'))
    const mail = await start(isolated('sendEmail'))
    // The checkStock service answers /femto/checkStock itself, so it can stand in for a gateway.
    const order = await start(isolated('placeOrder'), { FEMTO_GATEWAY: check.url, FEMTO_URL_ADD: add.url, FEMTO_URL_SEND_EMAIL: mail.url })
    expect((await post(`${order.url}/femto/placeOrder`, ['sku-7', 1, 'a@b.c'])).body).toMatchObject({ stock: { sku: 'sku-7', ok: true } })
    await check.stop()
    expect((await post(`${order.url}/femto/placeOrder`, ['sku-7', 1, 'a@b.c'])).body.error.message).toContain(check.url)
  })

  it('serves the same functions from router.js mounted in an Express app', async () => {
    const { default: router } = await import(join(dist, 'servers/router.js'))
    for (const withJsonParser of [false, true]) {
      const app = express()
      if (withJsonParser)
        app.use(express.json())
      app.use('/api', router)
      const server = app.listen(0)
      await new Promise(r => server.once('listening', r))
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api`
      try {
        for (const [name, [args, expected]] of Object.entries(CALLS)) {
          const res = await post(`${base}/femto/${name}`, args)
          expect({ name, withJsonParser, body: res.body }).toEqual({ name, withJsonParser, body: expected })
        }
        // Streams go through the router as through a service.
        const stream = await post(`${base}/femto/countdown`, [3])
        expect(stream.headers.get('content-type')).toBe('application/x-ndjson')
        expect(stream.text).toBe('3\n2\n1\n')
        // In one process every call stays in-process: placeOrder needs no other service.
        expect((await post(`${base}/femto/placeOrder`, ['s', 1, 'e'])).body).toMatchObject({ total: 11 })
        expect((await post(`${base}/femto/add`, [1])).status).toBe(400)
        expect((await post(`${base}/femto/nope`, [])).status).toBe(404)
        expect((await fetch(`${base}/femto/add`)).status).toBe(405)
        expect((await post(`${base}/femto/checkStock`, ['boom'])).body.error.code).toBe('OUT_OF_STOCK')
        if (!withJsonParser)
          expect((await post(`${base}/femto/add`, '[1,2]', { 'content-type': 'text/plain' })).status).toBe(415)
      }
      finally {
        server.close()
      }
    }
  })

  it('finishes in-flight calls on SIGTERM, then exits 0', async () => {
    const slow = await start(isolated('slowEcho'))
    const pending = post(`${slow.url}/femto/slowEcho`, ['done', 400])
    await expect.poll(() => callsInFlight(slow.url, 'slowEcho')).toBe(1)
    const exited = slow.stop('SIGTERM')
    const answer = await pending
    expect(answer.body).toBe('done')
    expect(await exited).toBe(0)
  })
})

describe('the vite.build() API (no app builder)', () => {
  it('builds the services too', async () => {
    const { build } = await import('vite')
    const { default: femto } = await import('../../src/vite')
    await build({ root: APP, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false, outDir: 'dist-legacy' })], build: { outDir: 'dist-legacy', emptyOutDir: true } })
    const legacy: Manifest = JSON.parse(readFileSync(join(APP, 'dist-legacy/servers/femto.json'), 'utf8'))
    expect(legacy.functions.map(f => f.name)).toEqual(SERVICES)
  })
})

describe('policies: timeoutMs and concurrency', () => {
  it('answers 504 TIMEOUT past timeoutMs, and 503 OVERLOADED with Retry-After past concurrency', async () => {
    const out = await viteBuild(APP, 'dist-policies', { functions: { slowEcho: { timeoutMs: 400, concurrency: 2 } } })
    const policies: Manifest = JSON.parse(readFileSync(join(out, 'servers/femto.json'), 'utf8'))
    expect(policies.functions.find(f => f.name === 'slowEcho')!.policies).toMatchObject({ bodyLimit: 1024 ** 2, timeoutMs: 400, concurrency: 2 })
    expect(policies.functions.find(f => f.name === 'add')!.policies).toMatchObject({ bodyLimit: 1024 ** 2, timeoutMs: 10_000, concurrency: null })
    const slow = await start(isolated('slowEcho', out))
    const url = `${slow.url}/femto/slowEcho`

    const late = await post(url, ['late', 5_000])
    expect(late.status).toBe(504)
    expect(late.body.error.code).toBe('TIMEOUT')

    // Two run, the other three are refused while they do; nothing is queued.
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => post(url, [`call ${i}`, 250])))
    const refused = burst.filter(r => r.status === 503)
    expect(burst.filter(r => r.status === 200)).toHaveLength(2)
    expect(refused).toHaveLength(3)
    for (const r of refused) {
      expect(r.body.error.code).toBe('OVERLOADED')
      expect(r.headers.get('retry-after')).toBe('1')
    }
    // The slots come back once the calls end, timed out ones included.
    expect((await post(url, ['again', 1])).body).toBe('again')
    expect((await fetch(`${slow.url}/healthz`)).status).toBe(200)
  })
})

describe('groups', () => {
  it('builds one service for a group; calls inside it make no HTTP request', async () => {
    const out = await viteBuild(APP, 'dist-groups', { groups: { orders: ['placeOrder', 'checkStock'] } })
    const grouped: Manifest = JSON.parse(readFileSync(join(out, 'servers/femto.json'), 'utf8'))
    const orders = grouped.services.find(s => s.name === 'orders')!
    expect(orders).toMatchObject({ file: 'orders.js', env: 'FEMTO_URL_ORDERS', functions: ['checkStock', 'placeOrder'] })
    expect(existsSync(join(out, 'servers/orders.js'))).toBe(true)
    expect(existsSync(join(out, 'servers/placeOrder.js'))).toBe(false)
    expect(grouped.functions.find(f => f.name === 'checkStock')).toMatchObject({ service: 'orders', port: orders.port })
    expect(grouped.services.filter(s => s.name !== 'orders').every(s => s.functions.length === 1)).toBe(true)

    const add = await start(isolated('add', out))
    const mail = await start(isolated('sendEmail', out))
    // No address for checkStock: were placeOrder's call to it a request, it would go to the
    // group's manifest port, where nothing listens (the group runs on a free port here).
    const group = await start(isolated('orders', out), { FEMTO_URL_ADD: add.url, FEMTO_URL_SEND_EMAIL: mail.url })
    const order = await post(`${group.url}/femto/placeOrder`, ['sku-3', 1, 'a@b.c'])
    expect(order.status).toBe(200)
    expect(order.body).toMatchObject({ stock: { sku: 'sku-3', ok: true }, total: 11 })
    expect((await post(`${group.url}/femto/checkStock`, ['s'])).body).toMatchObject({ ok: true })
  })

  it('fails the build for a group that names no femto function', async () => {
    const error: any = await viteBuild(APP, 'dist-groups-bad', { groups: { billing: ['charge'] } }).then(() => undefined, e => e)
    expect(String(error?.message)).toContain('groups.billing: no femto function is named \'charge\'')
  })
})

describe('vite build in monolith mode', () => {
  it('builds one server with every function; calls between them stay in-process', async () => {
    const out = await viteBuild(APP, 'dist-monolith', { mode: 'monolith' })
    const mono: Manifest = JSON.parse(readFileSync(join(out, 'servers/femto.json'), 'utf8'))
    expect(mono.services.map(s => s.file)).toEqual(['monolith.js'])
    expect(mono.services[0]!.port).toBe(3100)
    expect(existsSync(join(out, 'servers/add.js'))).toBe(false)
    const server = await start(isolated('monolith', out))
    for (const [name, [args, expected]] of Object.entries(CALLS))
      expect((await post(`${server.url}/femto/${name}`, args)).body, name).toEqual(expected)
    const order = await post(`${server.url}/femto/placeOrder`, ['s', 1, 'e'])
    const { pid } = (await post(`${server.url}/femto/whoAmI`, [])).body
    expect(order.body).toMatchObject({ total: 11, pid })
    // With several functions, `POST /` has no single function to mean.
    expect((await post(`${server.url}/`, [1, 2])).status).toBe(404)
  })
})
