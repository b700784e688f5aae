import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { HoldOptions } from '../../src/up/proxy'
import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { letGoOfIdleConnections } from '../../src/runtime/client/not-reached'
import { proxy } from '../../src/up/proxy'

// The gateway's hop to a service (undici's client under node:http's server), against real
// servers: what goes through as the service sent it, and how its connections are kept and let go.
// Holding calls while a service restarts: test/integration/gateway.test.ts.

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => {
    const closed = new Promise(resolve => server.close(resolve))
    server.closeAllConnections()
    return closed
  }))
})

async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A service (Node's 5 s keep-alive, as femto's) and a gateway in front of it. */
async function serviceBehindGateway(handle: (req: IncomingMessage, res: ServerResponse) => void, hold?: HoldOptions): Promise<{ gateway: string, service: Server }> {
  const service = http.createServer({ keepAliveTimeout: 5_000 }, handle)
  const origin = await listen(service)
  const gateway = await listen(http.createServer((req, res) => proxy(req, res, origin, undefined, hold)))
  return { gateway, service }
}

/** Resolves with who closed the next connection the service takes: the gateway ('client'), or the service's own keep-alive. */
function whoCloses(service: Server): Promise<'client' | 'server'> {
  return new Promise((resolve) => {
    service.once('connection', (socket: Socket) => {
      // The client's FIN arrives as 'end'; the server's own keep-alive timeout destroys the socket without one.
      let ended = false
      socket.once('end', () => ended = true)
      socket.once('close', () => resolve(ended ? 'client' : 'server'))
    })
  })
}

describe('the gateway\'s hop to a service', () => {
  it('sends the answer on as the service wrote it: status, repeated fields, body', async () => {
    const { gateway } = await serviceBehindGateway((req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen-host': String(req.headers['x-forwarded-host']) })
      res.end('{"ok":true}')
    })
    const res = await fetch(`${gateway}/femto/x`, { method: 'POST', body: '[1]' })
    expect(res.status).toBe(201)
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(res.headers.get('x-seen-host')).toBe(new URL(gateway).host)
    expect(await res.text()).toBe('{"ok":true}')
  })

  it('sends a sized answer that comes in many pieces on whole', async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 'femto')
    const { gateway } = await serviceBehindGateway((_req, res) => {
      res.writeHead(200, { 'content-length': body.length })
      res.end(body)
    })
    const res = await fetch(`${gateway}/femto/x`, { method: 'POST', body: '[1]' })
    expect(res.headers.get('content-length')).toBe(String(body.length))
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true)
  })

  it('tells the service the path and query as they came, its own host and token, and the caller\'s fields but its inside mark', async () => {
    const seen: Array<{ url: string, headers: IncomingMessage['headers'] }> = []
    const service = http.createServer((req, res) => {
      seen.push({ url: req.url!, headers: req.headers })
      res.end('ok')
    })
    const origin = await listen(service)
    const gateway = await listen(http.createServer((req, res) => proxy(req, res, origin, 'secret')))
    const call = (path: string, headers: Record<string, string>): Promise<number> => new Promise((resolve, reject) => {
      http.request(`${gateway}${path}`, { method: 'POST', headers }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode!))
      }).on('error', reject).end('[1]')
    })
    expect(await call('/femto/x?a=1&b=%2F:@!$(),;=~*+', { 'authorization': 'Bearer theirs', 'x-femto-internal': '1', 'x-femto-authorization': 'forged', 'x-custom': 'kept' })).toBe(200)
    expect(seen[0]!.url).toBe('/femto/x?a=1&b=%2F:@!$(),;=~*+')
    expect(seen[0]!.headers).toMatchObject({ 'host': new URL(origin).host, 'x-forwarded-host': new URL(gateway).host, 'authorization': 'Bearer secret', 'x-femto-authorization': 'Bearer theirs', 'x-custom': 'kept', 'content-length': '3' })
    expect(seen[0]!.headers['x-femto-internal']).toBeUndefined()
    // A path a URL would change (a dot segment, a character it encodes) goes as a URL resolves it, as it always did.
    expect(await call('/femto/y/../x?q=\'a\'', {})).toBe(200)
    expect(seen[1]!.url).toBe('/femto/x?q=%27a%27')
    expect(seen[1]!.headers.authorization).toBe('Bearer secret')
    expect(seen[1]!.headers['x-femto-authorization']).toBeUndefined()
    // A caller holding the token (a service calling another through the gateway) goes through as it is.
    expect(await call('/femto/x', { 'authorization': 'Bearer secret', 'x-femto-internal': '1' })).toBe(200)
    expect(seen[2]!.headers).toMatchObject({ 'authorization': 'Bearer secret', 'x-femto-internal': '1' })
  })
  it('forwards a call whose own connection fields undici does not send (Expect, Transfer-Encoding, Connection)', async () => {
    const { gateway } = await serviceBehindGateway((req, res) => {
      let body = ''
      req.setEncoding('utf8').on('data', chunk => body += chunk).on('end', () => res.end(body))
    })
    const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = http.request(`${gateway}/femto/x`, { method: 'POST', headers: { 'expect': '100-continue', 'connection': 'close', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', chunk => body += chunk).on('end', () => resolve({ status: res.statusCode!, body }))
      }).on('error', reject)
      req.once('continue', () => req.end('[1,2]'))
    })
    expect(answer).toEqual({ status: 200, body: '[1,2]' })
  })

  it('streams a body over the hold limit through whole, the part already read first', async () => {
    const { gateway } = await serviceBehindGateway((req, res) => {
      let size = 0
      req.on('data', chunk => size += chunk.length).on('end', () => res.end(String(size)))
    }, { bodyLimit: 1024 })
    const body = new Uint8Array(256 * 1024).fill(7)
    expect(await (await fetch(`${gateway}/femto/x`, { method: 'POST', body })).text()).toBe(String(body.length))
  })

  it('sends a streamed answer (no content-length) on as it comes, not when it ends', async () => {
    let finish!: () => void
    const { gateway } = await serviceBehindGateway((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first\n')
      finish = () => res.end('last\n')
    })
    const reader = (await fetch(`${gateway}/femto/x`, { method: 'POST', body: '[]' })).body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first\n')
    finish()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('last\n')
    expect((await reader.read()).done).toBe(true)
  })

  it('a caller that goes away takes the service\'s request with it', async () => {
    let aborted!: () => void
    const serviceSawAbort = new Promise<void>(resolve => aborted = resolve)
    let arrived!: () => void
    const called = new Promise<void>(resolve => arrived = resolve)
    const { gateway } = await serviceBehindGateway((req, res) => {
      res.once('close', () => res.writableFinished || aborted())
      arrived()
    })
    const controller = new AbortController()
    const call = fetch(`${gateway}/femto/x`, { method: 'POST', body: '[]', signal: controller.signal }).catch(() => 'aborted')
    await called
    controller.abort()
    expect(await call).toBe('aborted')
    await serviceSawAbort
  })

  it('closes an idle connection to a service itself, before the service\'s keep-alive would', async () => {
    const { gateway, service } = await serviceBehindGateway((_req, res) => res.end('ok'))
    const closing = whoCloses(service)
    expect(await (await fetch(`${gateway}/femto/x`, { method: 'POST', body: '[]' })).text()).toBe('ok')
    expect(await closing).toBe('client')
  }, 10_000)

  it('letGoOfIdleConnections closes its idle connections at once, and a later call opens a new one', async () => {
    const { gateway, service } = await serviceBehindGateway((_req, res) => res.end('ok'))
    const sockets: Socket[] = []
    const ended = new Set<Socket>()
    service.on('connection', (socket: Socket) => {
      sockets.push(socket)
      socket.once('end', () => ended.add(socket))
    })
    expect(await (await fetch(`${gateway}/femto/x`, { method: 'POST', body: '[]' })).text()).toBe('ok')
    letGoOfIdleConnections()
    expect(await (await fetch(`${gateway}/femto/x`, { method: 'POST', body: '[]' })).text()).toBe('ok')
    // The gateway ended the first connection before the next call was answered (its own idle close comes seconds later).
    expect(sockets).toHaveLength(2)
    expect(ended.has(sockets[0]!)).toBe(true)
  })
})
