import type { Server, Socket } from 'node:net'
// Version skew during a roll (issue 17, "during a roll, in both directions"): a caller that has
// not rolled yet (built against quote's contract 1) calls quote at its ordinary address after
// quote has rolled to contract 2. Quote's new version knows where its previous version runs
// (FEMTO_URL_QUOTE__<contract 1>, as femto up, Compose and Kubernetes set it) and forwards the
// call there, once. Real builds of the skew fixture, real processes, real HTTP.
// The other direction, a caller at version 2 meeting a callee still at version 1, is held until
// the callee has rolled (skew-deploy.test.ts); here, behind a balancer that keeps a connection on
// one instance (as a Kubernetes Service does), the held call's next try takes a new connection.
import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFemtoHandler } from '../../src/runtime/server/web-handler'
import { encodeRich, RICH_TYPE } from '../../src/runtime/shared/codec'
import { editFile, freePort, startNode, viteBuild } from '../helpers'

const FIXTURE = join(import.meta.dirname, '../fixtures/skew-app')
const TOKEN = 'skew-roll-token'

let work: string
let dist: string
let v1: Manifest
let v2: Manifest
let c1: string
let c2: string
const started: RunningProcess[] = []

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-skew-roll-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|node_modules)$/.test(src) })
  const options = { skewWindow: '1h' }
  dist = await viteBuild(work, 'dist', options)
  v1 = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  // The caller at version 1, as a container that has not rolled yet runs it: its stub sends contract 1.
  copyFileSync(join(dist, 'servers/checkout.js'), join(work, 'checkout-v1.js'))
  editFile(join(work, 'src/quote.ts'), 'quote(amount: number) {\n  \'use femto\'\n  return `v1:', 'quote(amount: number | string) {\n  \'use femto\'\n  return `v2:')
  await viteBuild(work, 'dist', options)
  v2 = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  copyFileSync(join(work, 'checkout-v1.js'), join(dist, 'servers/checkout-v1.js'))
  c1 = v1.functions.find(fn => fn.name === 'quote')!.contract!
  c2 = v2.functions.find(fn => fn.name === 'quote')!.contract!
}, 180_000)

afterAll(async () => {
  await Promise.all(started.map(p => p.stop()))
  if (work)
    rmSync(work, { recursive: true, force: true })
})

async function start(file: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const running = await startNode(join(dist, 'servers', file), { env: { FEMTO_TOKEN: TOKEN, NODE_ENV: 'development', ...env } })
  started.push(running)
  return running
}

/** quote at version 2, told where its previous version runs; that version; both as the deploy runs them. */
async function rolledQuote(): Promise<{ current: RunningProcess, old: RunningProcess }> {
  const previous = v2.functions.find(fn => fn.name === 'quote')!.previous![0]!
  expect(previous.contract).toBe(c1)
  expect(c2).not.toBe(c1)
  const old = await start(previous.file)
  const current = await start('quote.js', { [`FEMTO_URL_QUOTE__${c1}`]: old.url })
  return { current, old }
}

function callQuote(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/femto/quote`, { method: 'POST', headers: { 'content-type': RICH_TYPE, 'accept': 'application/json', 'authorization': `Bearer ${TOKEN}`, ...headers }, body: encodeRich([7]) })
}

describe('a caller that has not rolled, calling a callee that has', () => {
  it('reaches the callee\'s previous version through the callee\'s ordinary address, and gets version 1\'s result', async () => {
    const { current, old } = await rolledQuote()
    // The old caller knows only FEMTO_URL_QUOTE: its container's configuration is the one before the roll.
    const checkout = await start('checkout-v1.js', { FEMTO_URL_QUOTE: current.url })
    const res = await fetch(`${checkout.url}/femto/checkout`, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${TOKEN}`, 'x-request-id': 'roll-old-caller-1' }, body: '[7]' })
    expect(`${res.status} ${await res.text()}`).toBe('200 "checkout v1:7"')
    // Version 2 forwarded it (and says so once), version 1 ran it: its log line carries the caller's request id.
    expect(current.output()).toContain(`calls built against contract ${c1}`)
    await expect.poll(() => old.output()).toContain('roll-old-caller-1')
  })

  it('forwards with every header and the body as they came, answers the current contract itself, and STALE_CLIENT for a contract no version serves', async () => {
    const { current, old } = await rolledQuote()
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const forwarded = await callQuote(current.url, { 'x-femto-contract': c1, 'x-request-id': 'roll-direct-1', traceparent })
    expect(`${forwarded.status} ${await forwarded.text()}`).toBe('200 "v1:7"')
    expect(forwarded.headers.get('x-request-id')).toBe('roll-direct-1')
    await expect.poll(() => old.output()).toContain('4bf92f3577b34da6a3ce929d0e0e4736')
    // The token travels as it came: a call without it is refused by the version that gets it.
    const refused = await fetch(`${current.url}/femto/quote`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-femto-contract': c1 }, body: '[7]' })
    expect(refused.status).toBe(401)
    // A browser calling the service straight from its own origin: the previous version sees the host it addressed.
    const browser = await callQuote(current.url, { 'x-femto-contract': c1, 'origin': current.url })
    expect(`${browser.status} ${await browser.text()}`).toBe('200 "v1:7"')
    const own = await callQuote(current.url, { 'x-femto-contract': c2 })
    expect(`${own.status} ${await own.text()}`).toBe('200 "v2:7"')
    const plain = await callQuote(current.url, {})
    expect(`${plain.status} ${await plain.text()}`).toBe('200 "v2:7"')
    const retired = await callQuote(current.url, { 'x-femto-contract': '0000dead' })
    expect(retired.status).toBe(409)
    expect(await retired.text()).toContain('STALE_CLIENT')
  })

  it('forwards once: a call already forwarded is never sent on again, and a previous version that is down answers as not reached', async () => {
    const { current, old } = await rolledQuote()
    const again = await callQuote(current.url, { 'x-femto-contract': c1, 'x-femto-skew-forwarded': '1' })
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('STALE_CLIENT')
    await old.stop()
    const down = await callQuote(current.url, { 'x-femto-contract': c1 })
    expect(down.status).toBe(502)
    expect(down.headers.get('x-femto-not-reached')).toBe('1')
    expect(await down.text()).toContain('UNAVAILABLE')
  })
})

describe('a caller that has rolled, calling a callee behind a balancer that has not rolled everywhere', () => {
  it('tries again on a new connection after STALE_CLIENT, so the balancer may pick an instance that has rolled', async () => {
    const previous = v2.functions.find(fn => fn.name === 'quote')!.previous![0]!
    const old = await start(previous.file)
    const current = await start('quote.js')
    // Per connection, as kube-proxy balances: the first goes to the instance still at version 1, every later one to version 2.
    const sockets: Socket[] = []
    let connections = 0
    const balancer: Server = createServer((socket) => {
      const target = new URL(connections++ === 0 ? old.url : current.url)
      const upstream = connect(Number(target.port), target.hostname)
      sockets.push(socket, upstream)
      socket.pipe(upstream).pipe(socket)
      socket.on('error', () => upstream.destroy())
      upstream.on('error', () => socket.destroy())
    })
    await new Promise<void>(resolve => balancer.listen(0, '127.0.0.1', resolve))
    try {
      const checkout = await start('checkout.js', { FEMTO_URL_QUOTE: `http://127.0.0.1:${(balancer.address() as { port: number }).port}` })
      const res = await fetch(`${checkout.url}/femto/checkout`, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${TOKEN}` }, body: '[7]' })
      expect(`${res.status} ${await res.text()}`).toBe('200 "checkout v2:7"')
      // The instance at version 1 did answer first (STALE_CLIENT), and the call was held, not failed.
      expect(checkout.output()).toContain('quote: not reached')
      expect(connections).toBeGreaterThanOrEqual(2)
    }
    finally {
      for (const socket of sockets)
        socket.destroy()
      await new Promise(resolve => balancer.close(resolve))
    }
  })
})

describe('streams and bytes during a roll', () => {
  let kinds: string
  let out: string
  let manifest: Manifest
  const previousOf = (name: string): { file: string, contract: string } => manifest.functions.find(fn => fn.name === name)!.previous![0]!
  const serve = async (file: string, env: Record<string, string> = {}): Promise<RunningProcess> => {
    const running = await startNode(join(out, 'servers', file), { env: { FEMTO_TOKEN: TOKEN, NODE_ENV: 'development', ...env } })
    started.push(running)
    return running
  }
  const callRelay = (relay: RunningProcess): Promise<string> => fetch(`${relay.url}/femto/relay`, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${TOKEN}` }, body: '[2]' })
    .then(async res => `${res.status} ${await res.text()}`)

  beforeAll(async () => {
    kinds = mkdtempSync(join(tmpdir(), 'femto-skew-kinds-'))
    cpSync(join(import.meta.dirname, '../fixtures/skew-kinds-app'), kinds, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|node_modules)$/.test(src) })
    out = await viteBuild(kinds, 'dist', { skewWindow: '1h' })
    copyFileSync(join(out, 'servers/relay.js'), join(kinds, 'relay-v1.js'))
    editFile(join(kinds, 'src/ticks.ts'), 'ticks(count: number) {\n  \'use femto\'\n  for (let i = 0; i < count; i++)\n    yield `v1:', 'ticks(count: number | string) {\n  \'use femto\'\n  for (let i = 0; i < Number(count); i++)\n    yield `v2:')
    editFile(join(kinds, 'src/size.ts'), 'size(data: Uint8Array) {\n  \'use femto\'\n  return `v1:', 'size(data: Uint8Array, unit?: string) {\n  \'use femto\'\n  return `v2:')
    await viteBuild(kinds, 'dist', { skewWindow: '1h' })
    copyFileSync(join(kinds, 'relay-v1.js'), join(out, 'servers/relay-v1.js'))
    manifest = JSON.parse(readFileSync(join(out, 'servers/femto.json'), 'utf8'))
  }, 180_000)

  afterAll(() => {
    if (kinds)
      rmSync(kinds, { recursive: true, force: true })
  })

  it('a caller that has not rolled: its stream and its bytes are forwarded through the rolled callees to their previous versions', async () => {
    const ticks = previousOf('ticks')
    const size = previousOf('size')
    const oldTicks = await serve(ticks.file)
    const oldSize = await serve(size.file)
    const newTicks = await serve('ticks.js', { [`FEMTO_URL_TICKS__${ticks.contract}`]: oldTicks.url })
    const newSize = await serve('size.js', { [`FEMTO_URL_SIZE__${size.contract}`]: oldSize.url })
    const relay = await serve('relay-v1.js', { FEMTO_URL_TICKS: newTicks.url, FEMTO_URL_SIZE: newSize.url })
    expect(await callRelay(relay)).toBe('200 "v1:0,v1:1 v1:2"')
    expect(newTicks.output()).toContain(`calls built against contract ${ticks.contract}`)
    expect(newSize.output()).toContain(`calls built against contract ${size.contract}`)
  })

  it('a caller that has rolled: each call is held until its callee has rolled, then gets version 2\'s answers', async () => {
    const [ticksPort, sizePort] = [String(await freePort()), String(await freePort())]
    const oldTicks = await serve(previousOf('ticks').file, { PORT: ticksPort })
    const oldSize = await serve(previousOf('size').file, { PORT: sizePort })
    const relay = await serve('relay.js', { FEMTO_URL_TICKS: `http://127.0.0.1:${ticksPort}`, FEMTO_URL_SIZE: `http://127.0.0.1:${sizePort}` })
    const answer = callRelay(relay)
    // The stream is held (STALE_CLIENT from ticks at version 1) until ticks has rolled...
    await expect.poll(() => relay.output()).toContain('ticks: not reached')
    await oldTicks.stop()
    await serve('ticks.js', { PORT: ticksPort })
    // ...then the bytes call, until size has.
    await expect.poll(() => relay.output()).toContain('size: not reached')
    await oldSize.stop()
    await serve('size.js', { PORT: sizePort })
    expect(await answer).toBe('200 "v2:0,v2:1 v2:2"')
  })
})

describe('unplugin-femto/handler in proxy mode', () => {
  it('routes a call carrying a previous contract to the version serving it, when FEMTO_URL_<SERVICE>__<contract> is set', async () => {
    const previous = v2.functions.find(fn => fn.name === 'quote')!.previous![0]!
    const old = await start(previous.file)
    // No address of its previous version: quote at version 2 cannot forward, so only the handler's routing makes the old call work.
    const current = await start('quote.js')
    const names = ['FEMTO_URL_QUOTE', `FEMTO_URL_QUOTE__${c1}`] as const
    const saved = names.map(name => process.env[name])
    process.env.FEMTO_URL_QUOTE = current.url
    process.env[`FEMTO_URL_QUOTE__${c1}`] = old.url
    try {
      const handler = createFemtoHandler({ mode: 'proxy', manifest: join(dist, 'servers/femto.json'), token: TOKEN })
      const call = async (contract?: string): Promise<string> => {
        const res = await handler(new Request('http://app.test/femto/quote', { method: 'POST', headers: { 'content-type': RICH_TYPE, 'accept': 'application/json', ...(contract ? { 'x-femto-contract': contract } : {}) }, body: encodeRich([7]) }))
        return `${res!.status} ${await res!.text()}`
      }
      expect(await call(c1)).toBe('200 "v1:7"')
      expect(await call(c2)).toBe('200 "v2:7"')
      expect(await call()).toBe('200 "v2:7"')
      expect(await call('0000dead')).toMatch(/^409 .*STALE_CLIENT/)
    }
    finally {
      names.forEach((name, i) => saved[i] === undefined ? delete process.env[name] : process.env[name] = saved[i])
    }
  })
})
