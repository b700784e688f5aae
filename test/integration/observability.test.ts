import type { Server } from 'node:http'
import type { RunningProcess } from '../helpers'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { getMetricsFromIterator } from 'prom2javascript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, startNode, viteBuild } from '../helpers'

// Every service observable with nothing written by the user: Prometheus metrics, one JSON log
// line per request, W3C trace context across services, and OTLP export when configured.

const APP = join(import.meta.dirname, '../fixtures/observe-app')
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

let dist: string
let greet: RunningProcess
let relay: RunningProcess
let collector: Server
const spans: any[] = []
const running: RunningProcess[] = []

async function start(name: string, env: Record<string, string>): Promise<RunningProcess> {
  const proc = await startNode(join(dist, 'servers', `${name}.js`), { env: { FEMTO_LOG_FORMAT: 'json', ...env } })
  running.push(proc)
  return proc
}

/** The JSON request lines a service wrote. */
function requestLines(proc: RunningProcess): any[] {
  return proc.output().split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line)).filter(line => line.msg === 'request')
}

/** The families of a service's /metrics, read by a Prometheus text-format parser. */
async function metricsOf(proc: RunningProcess): Promise<Map<string, any>> {
  const text = await (await fetch(`${proc.url}/metrics`)).text()
  return new Map(Object.entries(await getMetricsFromIterator(text.split('\n')[Symbol.iterator]())))
}

function sample(family: any, labels: Record<string, string>): number | undefined {
  return family?.data.find((m: any) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value
}

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist')
  collector = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      for (const resource of JSON.parse(body).resourceSpans ?? []) {
        for (const scope of resource.scopeSpans)
          spans.push(...scope.spans.map((span: any) => ({ ...span, service: resource.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue })))
      }
      res.writeHead(200).end('{}')
    })
  })
  await new Promise<void>(resolve => collector.listen(0, '127.0.0.1', resolve))
  const otlp = `http://127.0.0.1:${(collector.address() as { port: number }).port}`
  greet = await start('greet', { OTEL_EXPORTER_OTLP_ENDPOINT: otlp })
  relay = await start('relayGreet', { FEMTO_URL_GREET: greet.url, OTEL_EXPORTER_OTLP_ENDPOINT: otlp })
})

afterAll(async () => {
  collector?.close()
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('metrics', () => {
  it('counts a known mix of calls exactly, in a text a Prometheus parser reads', async () => {
    const answers = await Promise.all([
      post(`${greet.url}/femto/greet`, ['ada']),
      post(`${greet.url}/femto/greet`, { name: 'bob' }),
      post(`${greet.url}/femto/greet`, ['cy']),
      post(`${greet.url}/femto/greet`, [42]),
      post(`${greet.url}/femto/greet`, 'not json'),
      post(`${greet.url}/femto/greet`, ['boom']),
    ])
    expect(answers.map(a => a.status)).toEqual([200, 200, 200, 400, 400, 500])
    const families = await metricsOf(greet)
    const requests = families.get('femto_requests_total')
    expect(sample(requests, { function: 'greet', status: '200', service: 'greet' })).toBe(3)
    expect(sample(requests, { function: 'greet', status: '400' })).toBe(2)
    expect(sample(requests, { function: 'greet', status: '500' })).toBe(1)
    const duration = families.get('femto_request_duration_seconds')
    expect(duration.type).toBe('histogram')
    expect(duration.data[0]).toMatchObject({ labels: { function: 'greet' }, count: 6 })
    expect(duration.data[0].buckets['+Inf']).toBe(6)
    expect(sample(families.get('femto_requests_in_flight'), { function: 'greet' })).toBe(0)
    expect(Number(sample(families.get('process_resident_memory_bytes'), {}))).toBeGreaterThan(1e6)
  })

  it('counts the calls a service makes to others, by target and outcome', async () => {
    expect((await post(`${relay.url}/femto/relayGreet`, ['eve'])).body).toBe('hello eve')
    expect((await post(`${relay.url}/femto/relayGreet`, ['boom'])).status).toBe(500)
    const calls = (await metricsOf(relay)).get('femto_calls_total')
    expect(sample(calls, { target: 'greet', outcome: 'ok' })).toBe(1)
    expect(sample(calls, { target: 'greet', outcome: 'INTERNAL_ERROR' })).toBe(1)
  })
})

describe('what a call costs', () => {
  it('runs calls in a request context only in a service that calls others', () => {
    const bundle = (name: string): string => readFileSync(join(dist, 'servers', `${name}.js`), 'utf8')
    expect(bundle('relayGreet')).toContain('new AsyncLocalStorage')
    expect(bundle('greet')).not.toContain('new AsyncLocalStorage')
  })

  it('starts without the Node modules only uploads use (fs streams and promises, os, v8, vm, crypto, File), only a stop uses (net\'s facade) or none uses (module), and answers its first call without crypto or perf_hooks', async () => {
    // What the process had loaded when it said it listens (an ES module import of node:fs loads
    // fs/promises and fs streams), and when it answered its first call.
    const dir = mkdtempSync(join(tmpdir(), 'femto-modules-'))
    const list = join(dir, 'modules.txt')
    const afterCall = join(dir, 'after-call.txt')
    const preload = join(dir, 'preload.cjs')
    writeFileSync(preload, [
      `const { writeFileSync } = require('node:fs')`,
      `const log = console.log`,
      `console.log = (...args) => {`,
      `  if (String(args[0]).includes(' listening on '))`,
      `    writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n'))`,
      `  log(...args)`,
      `}`,
      `const { ServerResponse } = require('node:http')`,
      `const end = ServerResponse.prototype.end`,
      // Written before the answer goes out, so the test finds it once it has the answer.
      `ServerResponse.prototype.end = function (...args) {`,
      `  writeFileSync(${JSON.stringify(afterCall)}, process.moduleLoadList.join('\\n'))`,
      `  return end.apply(this, args)`,
      `}`,
      '',
    ].join('\n'))
    try {
      const proc = await start('greet', { NODE_OPTIONS: `--require ${preload}` })
      const loaded = readFileSync(list, 'utf8').split('\n')
      expect(loaded).toContain('NativeModule http')
      // \`module\`: an import of it that tree-shaking emptied used to stay (it loads source-map support).
      // \`internal/blocklist\`: what an ES module import of node:net loads beyond what node:http does (drain.ts).
      for (const name of ['fs/promises', 'internal/fs/streams', 'os', 'v8', 'vm', 'crypto', 'internal/file', 'module', 'internal/blocklist'])
        expect(loaded).not.toContain(`NativeModule ${name}`)
      // A call without `traceparent` starts a trace: its ids need no Web Crypto (~6 ms to load,
      // trace.ts); its duration needs no `performance` (perf_hooks, ~1.3 ms to load, clock.ts).
      expect((await post(`${proc.url}/femto/greet`, ['Ada'])).status).toBe(200)
      const called = readFileSync(afterCall, 'utf8').split('\n')
      expect(called.length).toBeGreaterThan(loaded.length)
      expect(called.filter(name => /crypto/.test(name))).toEqual([])
      // node:http itself loads internal/perf/observe; `performance` and perf_hooks are more.
      expect(called.filter(name => /perf\/performance$|perf_hooks|usertiming/.test(name))).toEqual([])
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('removes, soon after it starts, the uploads a killed service of this machine left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-spool-'))
    const machine = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    // A pid above Linux's largest (2^22) runs nowhere.
    const dead = join(dir, `femto-upload-${machine}-4194305-0a1b2c3d-1-ffee`)
    const other = join(dir, 'not-an-upload.txt')
    writeFileSync(dead, 'half an upload')
    writeFileSync(other, 'kept')
    try {
      const proc = await start('greet', { FEMTO_UPLOAD_DIR: dir })
      const until = Date.now() + 10_000
      while (existsSync(dead) && Date.now() < until)
        await new Promise(resolve => setTimeout(resolve, 50))
      expect(existsSync(dead)).toBe(false)
      expect(existsSync(other)).toBe(true)
      await proc.stop()
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('counts a caller that leaves mid-body as 499, and the call is no longer in flight', async () => {
    const { port } = new URL(greet.url)
    const inFlight = async (): Promise<number | undefined> => sample((await metricsOf(greet)).get('femto_requests_in_flight'), { function: 'greet' })
    const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /femto/greet HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n["a'))
    // The caller leaves once the service has the call (its headers) and waits for the rest of the body.
    await expect.poll(inFlight, { timeout: 10_000 }).toBe(1)
    socket.destroy()
    await expect.poll(async () => sample((await metricsOf(greet)).get('femto_requests_total'), { function: 'greet', status: '499' }), { timeout: 10_000 }).toBe(1)
    expect(await inFlight()).toBe(0)
  })
})

describe('logs and traces', () => {
  it('writes one JSON line per request with its fields', async () => {
    const fromGreet = (): any[] => requestLines(greet).filter(line => line.function === 'greet')
    await expect.poll(() => fromGreet().length).toBeGreaterThanOrEqual(6)
    const fromMix = fromGreet()
    const line = fromMix.find(l => l.status === 400)!
    expect(Object.keys(line)).toEqual(['time', 'level', 'service', 'msg', 'function', 'requestId', 'traceId', 'spanId', 'status', 'durationMs', 'code'])
    expect(line).toMatchObject({ level: 'info', service: 'greet', msg: 'request', status: 400, code: 'INVALID_ARGUMENT' })
    expect(fromMix.find(l => l.status === 500)).toMatchObject({ level: 'warn', code: 'INTERNAL_ERROR' })
    expect(Number.isNaN(Date.parse(line.time))).toBe(false)
  })

  it('carries the request id and the trace across a two-service call', async () => {
    const answer = await post(`${relay.url}/femto/relayGreet`, ['zed'], { 'content-type': 'application/json', 'x-request-id': 'checkout-77', 'traceparent': `00-${TRACE_ID}-${CALLER_SPAN}-01` })
    expect(answer.headers.get('x-request-id')).toBe('checkout-77')
    const lineOf = (proc: RunningProcess): any => requestLines(proc).find(l => l.requestId === 'checkout-77')
    await expect.poll(() => lineOf(relay) && lineOf(greet)).toBeTruthy()
    const outer = lineOf(relay)
    const inner = lineOf(greet)
    expect(outer).toMatchObject({ function: 'relayGreet', traceId: TRACE_ID, parentSpanId: CALLER_SPAN, status: 200 })
    expect(inner).toMatchObject({ function: 'greet', traceId: TRACE_ID, parentSpanId: outer.spanId, status: 200 })
    expect(inner.spanId).not.toBe(outer.spanId)
  })

  it('exports the spans to an OpenTelemetry collector when one is configured', async () => {
    await expect.poll(() => spans.filter(s => s.traceId === TRACE_ID).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2)
    const server = spans.filter(s => s.traceId === TRACE_ID)
    expect(server.map(s => s.service).sort()).toEqual(['greet', 'relayGreet'])
    const inner = server.find(s => s.service === 'greet')
    expect(inner).toMatchObject({ kind: 2, name: 'POST greet' })
    expect(inner.parentSpanId).toBe(server.find(s => s.service === 'relayGreet').spanId)
  })

  it('exports no span of a trace its caller did not sample', async () => {
    const unsampled = '0af7651916cd43dd8448eb211c80319c'
    await post(`${greet.url}/femto/greet`, ['quiet'], { 'content-type': 'application/json', 'traceparent': `00-${unsampled}-${CALLER_SPAN}-00` })
    await post(`${greet.url}/femto/greet`, ['loud'], { 'content-type': 'application/json', 'traceparent': `00-${TRACE_ID.replace(/^4/, '5')}-${CALLER_SPAN}-01` })
    // Spans go out in the order their calls ended: once the later, sampled one has arrived, the unsampled one would have too.
    await expect.poll(() => spans.some(s => s.traceId === TRACE_ID.replace(/^4/, '5')), { timeout: 10_000 }).toBe(true)
    expect(spans.some(s => s.traceId === unsampled)).toBe(false)
    // Its log line still carries the trace.
    expect(requestLines(greet).some(l => l.traceId === unsampled)).toBe(true)
  })
})
