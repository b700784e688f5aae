import type { ChildProcess } from 'node:child_process'
import type { Server } from 'node:http'
import type { Manifest } from '../../src/core/build/manifest'
import type { StubMeta } from '../../src/runtime/shared/protocol'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { Agent, createServer, get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { callFemto, configureFemto } from '../../src/runtime'
import { RESTART_RESET_AFTER_MS } from '../../src/up/restart'
import { post, processAlive, viteBuild } from '../helpers'

// The life of a service process, as `node dist/servers/<fn>.js` and under `femto up`: one that
// cannot listen says why and exits non-zero; femto up calls only the processes it started, starts
// a service again when it exits, and its services go when it goes; and while one is killed and
// started again, calls through the femto up gateway all succeed, none twice.

const APP = join(import.meta.dirname, '../fixtures/lifecycle-app')
const CLI = join(import.meta.dirname, '../../dist/cli.js')
// Away from the default range: other tests on this machine run services named like these.
const BASE_PORT = 24_000

let dist: string
let manifest: Manifest
const cleanup: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist', { basePort: BASE_PORT })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
})

afterEach(async () => {
  await Promise.all(cleanup.splice(0).map(stop => stop()))
})

afterAll(async () => {
  await Promise.all(cleanup.splice(0).map(stop => stop()))
})

interface Spawned {
  proc: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

/** A process of its own group, so that what it starts can be stopped with it; killed at the end of the test. */
function start(args: string[], env: Record<string, string> = {}): Spawned {
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  proc.stdout!.on('data', (chunk) => {
    output += chunk
  })
  proc.stderr!.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>(resolve => proc.once('close', code => resolve(code)))
  cleanup.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(-proc.pid!, 'SIGKILL')
      }
      catch {}
    }
    await exited
  })
  return { proc, output: () => output, exited }
}

function waitFor(check: () => boolean, what: string, timeout = 15_000): Promise<void> {
  return expect.poll(check, { timeout, interval: 10, message: `waiting for ${what}` }).toBe(true)
}

/** `femto up` on a free gateway port, resolved with its URL once it says it is up. */
async function femtoUp(args: string[], env: Record<string, string> = {}): Promise<Spawned & { url: string }> {
  const up = start([CLI, 'up', dist, '--port', '0', ...args], env)
  await waitFor(() => /gateway at http:\/\/localhost:\d+/.test(up.output()) || up.proc.exitCode !== null, 'femto up to start', 30_000)
  const url = /gateway at (http:\/\/localhost:\d+)/.exec(up.output())?.[1]
  if (!url)
    throw new Error(`femto up did not start:\n${up.output()}`)
  return { ...up, url }
}

/** The port a service of femto up listens on, from its line in the merged log (the latest, after a restart). */
function portOf(output: string, service: string): number {
  const lines = [...output.matchAll(new RegExp(`\\[femto\\] ${service} listening on http://127\\.0\\.0\\.1:(\\d+)`, 'g'))]
  if (lines.length === 0)
    throw new Error(`no listening line of ${service} in:\n${output}`)
  return Number(lines.at(-1)![1])
}

/** On a new connection: a kept-alive one may reach the process a restart replaced, which answers on it while it drains. */
async function healthz(port: number): Promise<{ service: string, pid: number }> {
  return (await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } })).json() as Promise<{ service: string, pid: number }>
}

const refuses = (port: number): Promise<boolean> => fetch(`http://127.0.0.1:${port}/healthz`).then(res => res.body?.cancel().then(() => false) ?? false, () => true)

/** Another process's server on a port, answering `/healthz` as a femto service would, and counting every other request. */
async function foreignServer(port: number): Promise<{ server: Server, port: number, calls: string[] } | undefined> {
  const calls: string[] = []
  const server = createServer((req, res) => {
    if (req.url === '/healthz')
      return res.end(JSON.stringify({ status: 'ok', service: 'record', pid: process.pid }))
    calls.push(`${req.method} ${req.url}`)
    res.end('"not femto"')
  })
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => resolve(true))
  })
  if (!listening)
    return undefined
  cleanup.push(() => new Promise(resolve => server.close(resolve)))
  return { server, port: (server.address() as { port: number }).port, calls }
}

describe('a service that cannot listen', () => {
  const record = (): string => join(dist, 'servers/record.js')

  it('exits 1 with one line naming the port, where it came from and what to change (PORT)', async () => {
    const held = (await foreignServer(0))!
    const service = start([record()], { PORT: String(held.port), HOST: '127.0.0.1' })
    expect(await service.exited).toBe(1)
    expect(service.output()).toContain(`[femto] record cannot listen on 127.0.0.1:${held.port}: another process already listens on that port (EADDRINUSE). The port came from PORT=${held.port}; set PORT to another port (PORT=0: any free one).`)
    expect(service.output()).not.toMatch(/uncaught exception/)
  })

  it('names femto.json when the port is the manifest\'s', async () => {
    const port = manifest.services.find(s => s.name === 'record')!.port
    // Held here, unless some other process holds it already: the service cannot listen either way.
    await foreignServer(port)
    const service = start([record()], { PORT: '', HOST: '127.0.0.1' })
    expect(await service.exited).toBe(1)
    expect(service.output()).toContain(`[femto] record cannot listen on 127.0.0.1:${port}: another process already listens on that port (EADDRINUSE). The port came from femto.json (record's port, from the basePort option and a hash of its name); set PORT to another port (PORT=0: any free one), or change basePort and rebuild.`)
  })

  it('exits 1 for a PORT that is no port, and for a HOST that is not this machine\'s', async () => {
    const bad = start([record()], { PORT: 'eighty' })
    expect(await bad.exited).toBe(1)
    expect(bad.output()).toContain(`[femto] record cannot start: PORT='eighty' is not a port number (0-65535)`)
    const elsewhere = start([record()], { PORT: '0', HOST: '192.0.2.1' })
    expect(await elsewhere.exited).toBe(1)
    expect(elsewhere.output()).toContain(`[femto] record cannot listen on 192.0.2.1:0: HOST=192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)`)
  })
})

describe('femto up and the processes it starts', () => {
  it('fails with one line naming the port and the service when another process holds a manifest port, and never calls it', async () => {
    const port = manifest.services.find(s => s.name === 'record')!.port
    const foreign = await foreignServer(port)
    const up = start([CLI, 'up', dist, '--port', '0'])
    expect(await up.exited).toBe(1)
    expect(up.output()).toContain(`femto: femto up: port ${port} of service 'record' is taken by another process; stop that process, or run femto up --free-ports to give every service a free port\n`)
    expect(up.output()).not.toMatch(/service\(s\) up/)
    expect(foreign?.calls ?? []).toEqual([])
    // The service it did start is gone with it.
    expect(await refuses(manifest.services.find(s => s.name === 'lookup')!.port)).toBe(true)
  })

  it('/healthz of each service names it and its pid, the process femto up started', async () => {
    const up = await femtoUp(['--free-ports'])
    for (const name of ['lookup', 'record'])
      expect(await healthz(portOf(up.output(), name))).toMatchObject({ status: 'ok', service: name, pid: expect.any(Number) })
    expect((await healthz(portOf(up.output(), 'lookup'))).pid).not.toBe((await healthz(portOf(up.output(), 'record'))).pid)
  })

  it.each(['SIGKILL', 'SIGTERM'] as const)('starts a service again after %s, on the port it had, and says so', async (signal) => {
    const up = await femtoUp(['--free-ports'], { LEDGER_FILE: join(mkdtempSync(join(tmpdir(), 'femto-lifecycle-')), 'ledger.txt') })
    const port = portOf(up.output(), 'record')
    const before = (await healthz(port)).pid
    process.kill(before, signal)
    // A SIGTERM drains: the next process starts once the listeners are closed, not when the old one exits.
    const gone = signal === 'SIGKILL' ? 'exited with signal SIGKILL' : 'stopped listening \\(it finishes its calls meanwhile\\)'
    await waitFor(() => new RegExp(`femto +\\| record ${gone}; restarting in \\d+ ms`).test(up.output()), 'the restart line')
    await waitFor(() => /femto +\| record is up again \(pid \d+\)/.test(up.output()), 'record up again')
    const after = await healthz(port)
    expect(after).toMatchObject({ service: 'record' })
    expect(after.pid).not.toBe(before)
    expect(up.output()).toContain(`record is up again (pid ${after.pid})`)
    expect((await post(`${up.url}/femto/record`, [`after-${signal}`], { 'content-type': 'application/json' })).body).toBe(`record:after-${signal}`)
  })

  it('starts the next process once a SIGTERMed one stopped listening, while that one still waits for an idle caller', async () => {
    const up = await femtoUp(['--free-ports'], { LEDGER_FILE: join(mkdtempSync(join(tmpdir(), 'femto-lifecycle-')), 'ledger.txt') })
    const port = portOf(up.output(), 'record')
    // A caller that keeps its connection open and idle: a draining service waits for it to let go (drain.ts).
    const agent = new Agent({ keepAlive: true })
    cleanup.push(() => agent.destroy())
    const before = await new Promise<number>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/healthz`, { agent }, (res) => {
        let text = ''
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve(JSON.parse(text).pid))
      }).on('error', reject)
    })
    process.kill(before, 'SIGTERM')
    await waitFor(() => /femto +\| record is up again \(pid \d+\)/.test(up.output()), 'record up again')
    // Up again while the old process is still there, held by the idle connection.
    expect(processAlive(before)).toBe(true)
    const after = await healthz(port)
    expect(after.pid).not.toBe(before)
    expect((await post(`${up.url}/femto/record`, ['while-the-old-one-drains'], { 'content-type': 'application/json' })).body).toBe('record:while-the-old-one-drains')
    // Once the caller lets go, the old one exits, and nothing is started again for it.
    agent.destroy()
    await waitFor(() => !processAlive(before), 'the old process to exit')
    expect(up.output().match(/record is up again/g)).toHaveLength(1)
  })

  it('its gateway reaches each service on a Unix socket in a folder of its own, removed when it stops', async () => {
    const up = await femtoUp(['--free-ports'], { LEDGER_FILE: join(mkdtempSync(join(tmpdir(), 'femto-lifecycle-')), 'ledger.txt') })
    const port = portOf(up.output(), 'record')
    const { pid } = await healthz(port)
    const dir = /(?:^|\0)FEMTO_UP_SOCKET_DIR=([^\0]+)/.exec(readFileSync(`/proc/${pid}/environ`, 'utf8'))?.[1]
    expect(dir).toBeDefined()
    // Only femto up's user can enter it: no one else reaches the services past their token that way.
    expect(statSync(dir!).mode & 0o777).toBe(0o700)
    const socket = join(dir!, `${port}.sock`)
    expect(statSync(socket).isSocket()).toBe(true)
    // The kernel's table of Unix sockets names an accepted connection by its listener's path (state 03: connected).
    const connected = (): number => readFileSync('/proc/net/unix', 'utf8').split('\n').filter(line => line.endsWith(` ${socket}`) && line.split(/\s+/)[5] === '03').length
    expect(connected()).toBe(0)
    expect((await post(`${up.url}/femto/record`, ['over-the-socket'], { 'content-type': 'application/json' })).body).toBe('record:over-the-socket')
    expect(connected()).toBeGreaterThan(0)
    up.proc.kill('SIGINT')
    expect(await up.exited).toBe(0)
    expect(existsSync(dir!)).toBe(false)
  })

  it('doubles the wait for a service that keeps exiting at start, even after a predecessor stayed up past the reset time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-lifecycle-'))
    const crash = join(dir, 'crash')
    const up = await femtoUp(['--free-ports'], { LEDGER_FILE: join(dir, 'ledger.txt'), CRASH_FILE: crash })
    const started = Date.now()
    const port = portOf(up.output(), 'record')
    const { pid } = await healthz(port)
    // The backoff starts again at its first wait only after a process stayed up this long.
    await expect.poll(() => Date.now() - started, { timeout: RESTART_RESET_AFTER_MS + 5_000, interval: 200 }).toBeGreaterThanOrEqual(RESTART_RESET_AFTER_MS)
    writeFileSync(crash, '')
    process.kill(pid, 'SIGKILL')
    await waitFor(() => /record exited with code 1; restarting in 400 ms/.test(up.output()), 'the third restart')
    const waits = Array.from(up.output().matchAll(/record exited with [^;]+; restarting in (\d+) ms/g), m => Number(m[1]))
    expect(waits.slice(0, 3)).toEqual([100, 200, 400])
    rmSync(crash)
    await waitFor(() => /femto +\| record is up again \(pid \d+\)/.test(up.output()), 'record up again', 20_000)
  })

  it.each(['SIGHUP', 'SIGINT'] as const)('stops every service on %s, and starts none again', async (signal) => {
    const up = await femtoUp(['--free-ports'])
    const ports = ['lookup', 'record'].map(name => portOf(up.output(), name))
    up.proc.kill(signal)
    expect(await up.exited).toBe(0)
    for (const port of ports)
      expect(await refuses(port)).toBe(true)
    expect(up.output()).not.toMatch(/restarting in/)
  })

  it('its services stop by themselves when femto up is SIGKILLed', async () => {
    const up = await femtoUp(['--free-ports'])
    const ports = ['lookup', 'record'].map(name => portOf(up.output(), name))
    const pids = await Promise.all(ports.map(async port => (await healthz(port)).pid))
    // femto up alone, not its group: nothing stops the services but themselves.
    up.proc.kill('SIGKILL')
    await up.exited
    await waitFor(() => pids.every(pid => !processAlive(pid)), 'the services to exit')
  })
})

describe('calls through the femto up gateway while a service is killed and started again', () => {
  it('all succeed, a non-idempotent call never runs twice (SIGTERM, then SIGKILL, of each service)', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'femto-lifecycle-')), 'ledger.txt')
    writeFileSync(ledger, '')
    const up = await femtoUp(['--free-ports'], { LEDGER_FILE: ledger })
    configureFemto({ baseUrl: up.url })
    const meta = (name: string): StubMeta => {
      const fn = manifest.functions.find(f => f.name === name)!
      // As the generated stub has it: only what differs from the defaults (here, idempotent: false).
      return { name, route: fn.route, contract: fn.contract, policy: fn.policies.idempotent ? {} : { idempotent: false } }
    }

    interface Done { id: string, fn: string, how: 'stub' | 'json', phase: string, ms: number, error?: string }
    const done: Done[] = []
    const loop: { stop: boolean, phase: string, inGap?: () => Promise<void> } = { stop: false, phase: 'steady' }
    const MAX_CALLS = 1_500
    const calling = (async () => {
      for (let i = 0; i < MAX_CALLS && !loop.stop; i++) {
        const fn = i % 2 === 0 ? 'record' : 'lookup'
        const how = i % 4 < 2 ? 'stub' : 'json'
        const id = `c${i}`
        const started = performance.now()
        let error: string | undefined
        try {
          const value = how === 'stub'
            ? await (callFemto(meta(fn), [id]) as Promise<unknown>)
            : await post(`${up.url}${meta(fn).route}`, [id]).then(answer => answer.status === 200 ? answer.body : `${answer.status} ${answer.text}`)
          if (value !== `${fn}:${id}`)
            error = `answered ${JSON.stringify(value)}`
        }
        catch (thrown) {
          error = `${(thrown as Error).name}: ${(thrown as Error).message}`
        }
        done.push({ id, fn, how, phase: loop.phase, ms: performance.now() - started, error })
        await loop.inGap?.()
        // The steady rate of a client: a call about every 20 ms.
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    })()

    const callsSoFar = done.length
    const after = (n: number): Promise<void> => {
      const from = done.length
      return waitFor(() => done.length >= from + n, `${n} more calls`, 30_000)
    }
    await after(25)
    const baseline = done.slice(callsSoFar)
    let restarts = 0
    for (const name of ['record', 'lookup']) {
      for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
        const pid = (await healthz(portOf(up.output(), name))).pid
        const kill = (): void => {
          loop.phase = `${signal} of ${name}`
          process.kill(pid, signal)
        }
        // A SIGTERM drains: any moment will do. A SIGKILL in the middle of a call of record, which
        // must not run twice, leaves that call unanswerable (it may have run), and so does a call
        // sent on a kept-alive connection the moment before the process is gone: record is killed
        // between two calls, and the next waits until femto up has seen it exit (a crash between
        // calls). lookup (idempotent: the gateway sends a broken call once more) is killed at any moment.
        if (signal === 'SIGKILL' && name === 'record') {
          await new Promise<void>((resolve) => {
            loop.inGap = async () => {
              loop.inGap = undefined
              kill()
              await waitFor(() => /femto +\| record exited with signal SIGKILL/.test(up.output()), 'record to exit')
              resolve()
            }
          })
        }
        else {
          kill()
        }
        restarts++
        await waitFor(() => up.output().split(/femto +\| \w+ is up again/).length > restarts, `${name} up again after ${signal}`)
        await after(10)
      }
    }
    loop.stop = true
    await calling

    const failures = done.filter(call => call.error)
    const runs = new Map<string, number>()
    for (const line of readFileSync(ledger, 'utf8').split('\n').filter(Boolean))
      runs.set(line, (runs.get(line) ?? 0) + 1)
    const duplicates = [...runs].filter(([line, count]) => line.startsWith('record ') && count > 1)
    const typical = baseline.map(call => call.ms).sort((a, b) => a - b)[Math.floor(baseline.length / 2)]!
    const longest = Math.max(...done.map(call => call.ms))
    console.log(`[lifecycle] ${done.length} calls (${done.filter(c => c.how === 'stub').length} by the stub, ${done.filter(c => c.how === 'json').length} plain JSON) across ${restarts} restarts (SIGTERM and SIGKILL of record and lookup): ${failures.length} failed, ${duplicates.length} record call(s) ran twice, ${[...runs].filter(([line, count]) => line.startsWith('lookup ') && count > 1).length} lookup call(s) ran twice (idempotent); typical call ${typical.toFixed(1)} ms, longest ${longest.toFixed(1)} ms (${(longest - typical).toFixed(1)} ms added)`)
    for (const failure of failures.slice(0, 10))
      console.log(`[lifecycle] failed (${failure.phase}): ${failure.how} ${failure.fn}(${failure.id}) after ${failure.ms.toFixed(0)} ms: ${failure.error}`)
    expect(failures).toEqual([])
    expect(duplicates).toEqual([])
    // Every answered record call ran exactly once.
    for (const call of done.filter(c => c.fn === 'record'))
      expect(runs.get(`record ${call.id}`), call.id).toBe(1)
  }, 120_000)
})
