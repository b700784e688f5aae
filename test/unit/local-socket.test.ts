import type { Server as NetServer } from 'node:net'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { listenLocalSocket } from '../../src/runtime/server/local-socket'

// The Unix socket a service started by femto up also listens on (design 0050): what it does with
// a file left at its path, when it cannot listen there, and with an error once it listens.

const stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
  vi.restoreAllMocks()
})

function setUp(): { dir: string, server: ReturnType<typeof createServer> } {
  const dir = mkdtempSync(join(tmpdir(), 'femto-local-socket-'))
  const server = createServer((_req, res) => res.end('"over the socket"'))
  stops.push(() => rmSync(dir, { recursive: true, force: true }))
  return { dir, server }
}

/** Resolves at the first report; `reports` keeps counting after it. */
function listen(server: ReturnType<typeof createServer>, dir: string, port: number): Promise<{ path?: string, listener?: NetServer, reports: () => number }> {
  let reports = 0
  return new Promise((resolve) => {
    listenLocalSocket(server, dir, port, (path, listener) => {
      if (listener)
        stops.push(() => listener.close())
      if (++reports === 1)
        resolve({ path, listener, reports: () => reports })
    })
  })
}

function get(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: '/healthz' }, (res) => {
      let text = ''
      res.on('data', chunk => text += chunk).on('end', () => resolve(text))
    }).on('error', reject).end()
  })
}

describe('a service\'s Unix socket for femto up', () => {
  it('listens at <dir>/<port>.sock, in place of a file a killed process left there, and hands its connections to the HTTP server', async () => {
    const { dir, server } = setUp()
    writeFileSync(join(dir, '7042.sock'), 'left by a killed process')
    const { path } = await listen(server, dir, 7042)
    expect(path).toBe(join(dir, '7042.sock'))
    expect(statSync(path!).isSocket()).toBe(true)
    expect(await get(path!)).toBe('"over the socket"')
  })

  it('says in one line that it calls on the port instead when it cannot listen there, and reports no socket', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { dir, server } = setUp()
    const { path, reports } = await listen(server, join(dir, 'no-such-folder'), 7042)
    expect(path).toBeUndefined()
    expect(warn.mock.calls).toEqual([[expect.stringMatching(/^\[femto\] cannot listen on .*no-such-folder\/7042\.sock \(listen E\w+: .*\); femto up's gateway calls on the port instead$/)]])
    expect(reports()).toBe(1)
  })

  it('takes an error once it listens (a connection it could not accept) as a line, not a crash or a second report', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { dir, server } = setUp()
    const { path, listener, reports } = await listen(server, dir, 7043)
    expect(() => listener!.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' }))).not.toThrow()
    expect(reports()).toBe(1)
    expect(warn.mock.calls).toEqual([[`[femto] ${path}: accept EMFILE`]])
    expect(await get(path!)).toBe('"over the socket"')
  })
})
