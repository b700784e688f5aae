import type { Server } from 'node:http'
import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { callFemto, configureFemto } from '../../src/runtime'
import { createGateway } from '../../src/up/gateway'
import { freePort, keptAliveCaller, post, startNode, viteBuild } from '../helpers'

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

/** How often the ledger says a call ran. */
const runs = (line: string): number => readFileSync(ledger, 'utf8').split('\n').filter(l => l === line).length

/** `output`: what the process being waited on printed, shown when the wait fails. */
async function waitFor(check: () => boolean, what: string, output?: () => string): Promise<void> {
  try {
    await expect.poll(check, { timeout: 10_000, interval: 10, message: `waiting for ${what}` }).toBe(true)
  }
  catch (error) {
    if (output)
      (error as Error).message += `\n--- its output ---\n${output()}`
    throw error
  }
}

/** The gateway in this process, for what the standalone one needs no process to show. */
async function inProcessGateway(routes: Record<string, string>, hold: Parameters<typeof createGateway>[0]['hold']): Promise<{ url: string, server: Server }> {
  const server = createGateway({ basePath: '/femto', routes: new Map(Object.entries(routes)), hold })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server }
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
    // An internal function (no page imports it) is not routed, as by every gateway.
    expect(await post(`${gateway.url}/femto/hidden`, [])).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } })
    const page = await fetch(`${gateway.url}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<title>restart<\/title>/)
    expect(await fetch(`${gateway.url}/openapi.json`).then(r => r.status)).toBe(200)
    // A caller's kept-alive connection is not closed under it as the gateway stops (drain.ts):
    // a call going out on it is answered, and the gateway exits once the caller lets go.
    const caller = keptAliveCaller()
    expect(await caller.send(`${gateway.url}/femto/echo`, '["before"]')).toMatchObject({ status: 200, reused: false })
    const exit = gateway.stop('SIGTERM')
    await waitFor(() => /femto gateway: SIGTERM, stopping/.test(gateway.output()), 'the gateway to stop', gateway.output)
    expect(await caller.send(`${gateway.url}/femto/echo`, '["during"]')).toEqual({ status: 200, body: '"echo:during"', connection: 'close', reused: true })
    caller.close()
    expect(await exit).toBe(0)
  })
})

/**
 * Sends a plain POST on a new raw connection once the kernel has completed it (a paused process
 * still gets its connections completed, queued until it accepts them); resolves with the status
 * line, or the socket's error (a reset: the connection was closed under the call).
 */
function queuedCall(url: string, path: string, args: unknown[]): { connected: Promise<void>, answer: Promise<string> } {
  const { hostname, port } = new URL(url)
  const body = JSON.stringify(args)
  const socket = connect(Number(port), hostname)
  const connected = new Promise<void>(resolve => socket.once('connect', () => {
    socket.write(`POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
    resolve()
  }))
  const answer = new Promise<string>((resolve) => {
    let text = ''
    socket.on('data', (chunk) => {
      text += chunk
    })
    socket.once('error', error => resolve(`error ${(error as NodeJS.ErrnoException).code}`))
    socket.once('close', () => resolve(text.split('\r\n')[0] ?? ''))
  })
  return { connected, answer }
}

/**
 * `proc` paused, `count` calls sent to it (queued by the kernel), then SIGTERM and SIGCONT: as a
 * process busy under load meets a Compose roll. Returns each call's status line.
 */
async function callsQueuedAtStop(proc: RunningProcess, path: string, tag: string, count: number): Promise<{ answers: string[], exit: number | null }> {
  proc.proc.kill('SIGSTOP')
  const calls = Array.from({ length: count }, (_, i) => queuedCall(proc.url, path, [`${tag}-${i}`]))
  await Promise.all(calls.map(c => c.connected))
  const exit = proc.stop('SIGTERM')
  proc.proc.kill('SIGCONT')
  return { answers: await Promise.all(calls.map(c => c.answer)), exit: await exit }
}

describe('calls waiting in the listen queue of a process told to stop', () => {
  // Closing a listening socket resets the connections queued in it: their calls never ran, but a
  // caller sees a reset after sending, and cannot send again one that must not run twice.
  it('are answered by a service, each once, before it exits 0', async () => {
    const note = await start(service('note'), { LEDGER_FILE: ledger })
    const { answers, exit } = await callsQueuedAtStop(note, '/femto/note', 'queued', 20)
    expect(answers).toEqual(Array.from({ length: 20 }, () => 'HTTP/1.1 200 OK'))
    expect(Array.from({ length: 20 }, (_, i) => runs(`note queued-${i}`))).toEqual(Array.from({ length: 20 }, () => 1))
    expect(exit).toBe(0)
  })

  it('are forwarded by the standalone gateway before it exits 0', async () => {
    const note = await start(service('note'), { LEDGER_FILE: ledger })
    const gateway = await start(GATEWAY, { FEMTO_MANIFEST: join(dist, 'servers/femto.json'), FEMTO_STATIC_DIR: '', ...serviceUrls({ note: note.url }) })
    const { answers, exit } = await callsQueuedAtStop(gateway, '/femto/note', 'through-gateway', 20)
    expect(answers).toEqual(Array.from({ length: 20 }, () => 'HTTP/1.1 200 OK'))
    expect(Array.from({ length: 20 }, (_, i) => runs(`note through-gateway-${i}`))).toEqual(Array.from({ length: 20 }, () => 1))
    expect(exit).toBe(0)
  })
})

describe('a call whose service is restarting', () => {
  it('is held by the gateway: a plain POST (curl) waits while its service is down and gets the answer once it is back', async () => {
    const port = await freePort()
    const gateway = await start(GATEWAY, { FEMTO_MANIFEST: join(dist, 'servers/femto.json'), FEMTO_STATIC_DIR: '', ...serviceUrls({ echo: `http://127.0.0.1:${port}` }) })
    const answer = post(`${gateway.url}/femto/echo`, ['held'])
    await waitFor(() => /\[femto\] gateway: \/femto\/echo not reached at http:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED [^)]*\); holding it for up to 10000 ms/.test(gateway.output()), 'the held call', gateway.output)
    await start(service('echo'), { LEDGER_FILE: ledger, PORT: String(port) })
    expect(await answer).toMatchObject({ status: 200, body: 'echo:held' })
    expect(runs('echo held')).toBe(1)
  })

  it('is answered 502 marked not reached when its service is not back within the hold, refused or not resolving', async () => {
    const lines: string[] = []
    const { url, server } = await inProcessGateway({ '/femto/echo': `http://127.0.0.1:${await freePort()}`, '/femto/note': 'http://no-such-service.invalid:3000' }, { holdMs: 300, log: line => lines.push(line) })
    try {
      const refused = await post(`${url}/femto/echo`, ['late'])
      expect(refused.status).toBe(502)
      expect(refused.headers.get('x-femto-not-reached')).toBe('1')
      expect(refused.body.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^the service at http:\/\/127\.0\.0\.1:\d+ did not answer: connect ECONNREFUSED .* \(not reached for \d+ ms\)$/) })
      const unresolved = await post(`${url}/femto/note`, ['late'])
      expect(unresolved.status).toBe(502)
      expect(unresolved.headers.get('x-femto-not-reached')).toBe('1')
      expect(unresolved.body.error.message).toMatch(/getaddrinfo (ENOTFOUND|EAI_AGAIN) no-such-service\.invalid/)
      expect(lines).toHaveLength(2)
    }
    finally {
      server.close()
    }
  })

  it('is not held when its body is over the bound the gateway keeps, but still marked not reached', async () => {
    const lines: string[] = []
    const { url, server } = await inProcessGateway({ '/femto/echo': `http://127.0.0.1:${await freePort()}` }, { bodyLimit: 1024, log: line => lines.push(line) })
    try {
      const big = JSON.stringify(['x'.repeat(5_000)])
      // With a content-length over the bound, and streamed (chunked) past it.
      const chunked = new ReadableStream({ start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
        controller.close()
      } })
      for (const init of [{ body: big }, { body: chunked, duplex: 'half' }]) {
        const answer = await fetch(`${url}/femto/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...init } as RequestInit)
        expect(answer.status).toBe(502)
        expect(answer.headers.get('x-femto-not-reached')).toBe('1')
        expect((await answer.json()).error.message).not.toMatch(/not reached for/)
      }
      expect(lines).toEqual([])
    }
    finally {
      server.close()
    }
  })

  it('an idempotent call whose service is killed mid-call is sent once more, and held until the service is back', async () => {
    let slow = await start(service('slowEcho'), { LEDGER_FILE: ledger })
    const port = new URL(slow.url).port
    const gateway = await start(GATEWAY, { FEMTO_MANIFEST: join(dist, 'servers/femto.json'), FEMTO_STATIC_DIR: '', ...serviceUrls({ slowEcho: slow.url }) })
    const answer = post(`${gateway.url}/femto/slowEcho`, ['killed', 60_000])
    await waitFor(() => runs('slow killed') === 1, 'the call to run')
    await slow.stop('SIGKILL')
    await waitFor(() => /\/femto\/slowEcho not reached/.test(gateway.output()), 'the call sent again and held', gateway.output)
    slow = await start(service('slowEcho'), { LEDGER_FILE: ledger, PORT: port, SLOW_MS: '0' })
    expect(await answer).toMatchObject({ status: 200, body: 'slow:killed' })
    // It ran twice, as idempotent allows: once killed, once answered.
    expect(runs('slow killed')).toBe(2)
  })

  it('a non-idempotent call whose service dies after it was sent: 502 not marked, and a stub does not run it again', async () => {
    const note = await start(service('note'), { LEDGER_FILE: ledger })
    const { url, server } = await inProcessGateway({ '/femto/note': note.url }, {})
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      configureFemto({ baseUrl: url })
      const call = (callFemto({ name: 'note', route: '/femto/note', policy: { retries: 3, idempotent: false } }, ['through', 60_000]) as Promise<unknown>).then(() => 'answered', (error: unknown) => error)
      await waitFor(() => runs('note through') === 1, 'the call to run')
      await note.stop('SIGKILL')
      expect(await call).toMatchObject({ code: 'UNAVAILABLE', status: 502, message: expect.not.stringMatching(/not reached/) })
      expect(runs('note through')).toBe(1)
      expect(warn.mock.calls.filter(([line]) => /retry \d+ of|not reached/.test(String(line)))).toEqual([])
    }
    finally {
      warn.mockRestore()
      configureFemto({ baseUrl: '' })
      server.close()
    }
  })
})
