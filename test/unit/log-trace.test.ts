import type { IncomingHttpHeaders, Server } from 'node:http'
import type { RequestRecord } from '../../src/runtime/server/log'
import type { SpanRecord } from '../../src/runtime/server/otlp'
import { createServer } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/runtime/server/log'
import { createSpanExporter } from '../../src/runtime/server/otlp'
import { incomingTrace, newSpanId, newTraceId, outgoingTraceHeaders } from '../../src/runtime/server/trace'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    service: 'add',
    function: 'add',
    requestId: 'abc',
    traceId: TRACE_ID,
    spanId: 'b7ad6b7169203331',
    parentSpanId: PARENT_ID,
    status: 200,
    durationMs: 0.4234,
    ...overrides,
  }
}

/** A logger whose writes are kept, one entry per write. */
function captured(options: Partial<Parameters<typeof createLogger>[0]> = {}): { logger: ReturnType<typeof createLogger>, writes: string[], lines: () => string[] } {
  const writes: string[] = []
  const logger = createLogger({ service: 'add', format: 'json', write: chunk => writes.push(chunk), ...options })
  const lines = (): string[] => {
    logger.flush()
    return writes.join('').split('\n').filter(Boolean)
  }
  return { logger, writes, lines }
}

const nextTurn = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('request lines as JSON', () => {
  it('carry exactly the fields, in order', () => {
    const { logger, lines } = captured()
    logger.request(record())
    logger.request(record({ parentSpanId: undefined, status: 400, durationMs: 3, code: 'INVALID_ARGUMENT' }))
    const [first, second] = lines().map(line => JSON.parse(line))
    expect(Object.keys(first)).toEqual(['time', 'level', 'service', 'msg', 'function', 'requestId', 'traceId', 'spanId', 'parentSpanId', 'status', 'durationMs'])
    expect(first).toEqual({ time: expect.any(String), level: 'info', service: 'add', msg: 'request', function: 'add', requestId: 'abc', traceId: TRACE_ID, spanId: 'b7ad6b7169203331', parentSpanId: PARENT_ID, status: 200, durationMs: 0.42 })
    expect(new Date(first.time).toISOString()).toBe(first.time)
    expect(Math.abs(Date.parse(first.time) - Date.now())).toBeLessThan(5_000)
    expect(Object.keys(second)).toEqual(['time', 'level', 'service', 'msg', 'function', 'requestId', 'traceId', 'spanId', 'status', 'durationMs', 'code'])
    expect(second).toMatchObject({ level: 'info', status: 400, durationMs: 3, code: 'INVALID_ARGUMENT' })
  })

  it('log 5xx at warn', () => {
    const { logger, lines } = captured()
    logger.request(record({ status: 503, code: 'OVERLOADED' }))
    expect(JSON.parse(lines()[0]!)).toMatchObject({ level: 'warn', status: 503, code: 'OVERLOADED' })
  })

  it('round durations to 0.01 ms', () => {
    const { logger, lines } = captured()
    for (const durationMs of [0.4267, 12.5, 0.001, 0.05, 1234.999, 7])
      logger.request(record({ durationMs }))
    expect(lines().map(line => JSON.parse(line).durationMs)).toEqual([0.43, 12.5, 0, 0.05, 1235, 7])
  })

  it('escape any string a caller passes', () => {
    const { logger, lines } = captured({ service: 'my "svc"' })
    logger.request(record({ service: 'my "svc"', function: 'a\\b', requestId: 'x"y\nz', code: 'ÜNICODE' }))
    expect(JSON.parse(lines()[0]!)).toMatchObject({ service: 'my "svc"', function: 'a\\b', requestId: 'x"y\nz', code: 'ÜNICODE' })
  })

  it('name the record\'s service, the logger\'s by default', () => {
    const { logger, lines } = captured({ service: 'billing' })
    logger.request(record({ service: 'billing' }))
    logger.request(record({ service: 'charge', function: 'charge' }))
    expect(lines().map(line => JSON.parse(line)).map(line => [line.service, line.function])).toEqual([['billing', 'add'], ['charge', 'charge']])
  })
})

describe('message lines', () => {
  it('put their fields after msg, errors readable, never a second time or level', () => {
    const { logger, lines } = captured({ level: 'debug' })
    const error = Object.assign(new Error('boom'), { code: 'E_BOOM' })
    logger.log('error', 'it failed', { error, count: 2, big: 10n, level: 'x', skipped: undefined })
    const line = JSON.parse(lines()[0]!)
    expect(Object.keys(line)).toEqual(['time', 'level', 'service', 'msg', 'error', 'count', 'big', 'fields.level'])
    expect(line).toMatchObject({ 'level': 'error', 'msg': 'it failed', 'count': 2, 'big': '10', 'fields.level': 'x', 'error': { name: 'Error', message: 'boom', code: 'E_BOOM' } })
    expect(line.error.stack).toContain('boom')
  })

  it('survive fields JSON cannot hold', () => {
    const { logger, lines } = captured()
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    logger.log('info', 'odd', { cyclic })
    expect(JSON.parse(lines()[0]!)).toMatchObject({ msg: 'odd', cyclic: '[object Object]' })
  })
})

describe('pretty lines', () => {
  it('read as one line per request, without colors off a terminal', () => {
    const { logger, lines } = captured({ format: 'pretty' })
    logger.request(record())
    logger.request(record({ status: 504, durationMs: 1500, code: 'TIMEOUT' }))
    logger.log('info', 'listening', { port: 3100, url: 'http://0.0.0.0:3100', note: 'two words' })
    const [ok, failed, message] = lines()
    expect(ok).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}add 200 0\.42 ms req=abc trace=4bf92f35…$/)
    expect(failed).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}add 504 TIMEOUT 1500\.00 ms req=abc trace=4bf92f35…$/)
    expect(message).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}listening port=3100 url=http:\/\/0\.0\.0\.0:3100 note="two words"$/)
    expect(lines().join('')).not.toContain('\x1B')
  })

  it('print an error\'s stack under its line', () => {
    const { logger, writes } = captured({ format: 'pretty' })
    logger.log('error', 'it failed', { error: new Error('boom') })
    logger.flush()
    const [line, stack] = writes.join('').split('\n')
    expect(line).toMatch(/ERROR it failed$/)
    expect(stack).toBe('  Error: boom')
  })
})

describe('levels', () => {
  it('filter lines below the logger\'s level', () => {
    const { logger, lines } = captured({ level: 'warn' })
    logger.request(record())
    logger.request(record({ status: 500, code: 'INTERNAL_ERROR' }))
    logger.log('info', 'hidden')
    logger.log('error', 'shown')
    expect(lines().map(line => JSON.parse(line).msg)).toEqual(['request', 'shown'])
    expect([logger.enabled('debug'), logger.enabled('info'), logger.enabled('warn'), logger.enabled('error')]).toEqual([false, false, true, true])
  })

  it('silent writes nothing; debug writes everything', () => {
    const silent = captured({ level: 'silent' })
    silent.logger.request(record({ status: 500 }))
    silent.logger.log('error', 'x')
    expect(silent.lines()).toEqual([])
    const debug = captured({ level: 'debug' })
    debug.logger.log('debug', 'x')
    expect(debug.lines()).toHaveLength(1)
  })

  it('come from FEMTO_LOG_LEVEL; an invalid one is info plus one warning', () => {
    vi.stubEnv('FEMTO_LOG_LEVEL', 'ERROR')
    expect(captured().logger.level).toBe('error')
    vi.stubEnv('FEMTO_LOG_LEVEL', 'loud')
    const { logger, lines } = captured()
    expect(logger.level).toBe('info')
    const written = lines().map(line => JSON.parse(line))
    expect(written).toHaveLength(1)
    expect(written[0]).toMatchObject({ level: 'warn', service: 'add' })
    expect(written[0].msg).toContain('FEMTO_LOG_LEVEL="loud"')
  })

  it('the format comes from FEMTO_LOG_FORMAT, else JSON for a custom sink', () => {
    vi.stubEnv('FEMTO_LOG_FORMAT', 'pretty')
    const pretty = captured({ format: undefined })
    pretty.logger.request(record())
    expect(pretty.lines()[0]).toMatch(/ INFO {2}add 200 /)
    vi.stubEnv('FEMTO_LOG_FORMAT', '')
    const json = captured({ format: undefined })
    json.logger.request(record())
    expect(JSON.parse(json.lines()[0]!).msg).toBe('request')
  })
})

describe('buffering', () => {
  it('writes the requests of one turn in one write, at the end of the turn', async () => {
    const { logger, writes } = captured()
    for (let i = 0; i < 5; i++)
      logger.request(record({ requestId: `r${i}` }))
    expect(writes).toEqual([])
    await nextTurn()
    expect(writes).toHaveLength(1)
    expect(writes[0]!.split('\n').filter(Boolean).map(line => JSON.parse(line).requestId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4'])
    await nextTurn()
    expect(writes).toHaveLength(1)
  })

  it('writes at once past 64 KB', () => {
    const { logger, writes } = captured()
    for (let i = 0; writes.length === 0 && i < 10_000; i++)
      logger.request(record())
    expect(writes).toHaveLength(1)
    expect(writes[0]!.length).toBeGreaterThan(64 * 1024)
    expect(writes[0]!.length).toBeLessThan(65 * 1024)
  })

  it('flush writes synchronously, and nothing twice', async () => {
    const { logger, writes } = captured()
    logger.request(record())
    logger.flush()
    expect(writes).toHaveLength(1)
    logger.flush()
    await nextTurn()
    expect(writes).toHaveLength(1)
  })

  it('a sink that throws does not break the request that logged', async () => {
    const logger = createLogger({ service: 'add', format: 'json', write: () => {
      throw new Error('disk full')
    } })
    expect(() => {
      logger.request(record())
      logger.flush()
    }).not.toThrow()
  })
})

describe('traceparent of an incoming request', () => {
  it('continues a valid one: same trace, its span is our parent', () => {
    const trace = incomingTrace(VALID, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')
    expect(trace).toEqual({ traceId: TRACE_ID, spanId: expect.stringMatching(/^[\da-f]{16}$/), parentSpanId: PARENT_ID, flags: '01', tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' })
    expect(trace.spanId).not.toBe(PARENT_ID)
    expect(incomingTrace(`00-${TRACE_ID}-${PARENT_ID}-00`, undefined).flags).toBe('00')
    expect(incomingTrace([VALID], ['a=1', 'b=2'])).toMatchObject({ traceId: TRACE_ID, tracestate: 'a=1,b=2' })
  })

  it('starts a new trace when the header is absent or invalid, and drops its tracestate', () => {
    const invalid = [
      undefined,
      '',
      `ff-${TRACE_ID}-${PARENT_ID}-01`, // version ff is forbidden
      `00-${'0'.repeat(32)}-${PARENT_ID}-01`, // all-zero trace id
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`, // all-zero parent id
      `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, // uppercase hex
      `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`,
      `0A-${TRACE_ID}-${PARENT_ID}-01`,
      `00-${TRACE_ID}-${PARENT_ID}-0G`, // not hex
      `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`, // short trace id
      `00-${TRACE_ID}-${PARENT_ID}1-01`, // long parent id
      `00-${TRACE_ID}-${PARENT_ID}-01-extra`, // version 00 has nothing after the flags
      `00-${TRACE_ID}-${PARENT_ID}-01 `,
      `00_${TRACE_ID}_${PARENT_ID}_01`,
      `01-${TRACE_ID}-${PARENT_ID}-01x`, // a later version's fields follow a dash
      [VALID, VALID], // two headers
    ]
    for (const header of invalid) {
      const trace = incomingTrace(header, 'congo=t61rcWkgMzE')
      expect(trace, String(header)).toEqual({ traceId: expect.stringMatching(/^[\da-f]{32}$/), spanId: expect.stringMatching(/^[\da-f]{16}$/), parentSpanId: undefined, flags: '01', tracestate: undefined })
      expect(trace.traceId).not.toBe(TRACE_ID)
    }
  })

  it('accepts a later version with more fields, reading only its sampled bit', () => {
    expect(incomingTrace(`01-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`, undefined)).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, flags: '01' })
    expect(incomingTrace(`cc-${TRACE_ID}-${PARENT_ID}-08`, undefined)).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, flags: '00' })
    expect(incomingTrace(`cc-${TRACE_ID}-${PARENT_ID}-09-x`, undefined)).toMatchObject({ traceId: TRACE_ID, flags: '01' })
  })

  it('keeps at most 512 characters of tracestate, in whole members', () => {
    const members = Array.from({ length: 40 }, (_, i) => `vendor${i}=${'x'.repeat(16)}`)
    const { tracestate } = incomingTrace(VALID, members.join(','))
    expect(tracestate!.length).toBeLessThanOrEqual(512)
    expect(members.join(',').startsWith(tracestate!)).toBe(true)
    expect(tracestate!.split(',').every(member => members.includes(member))).toBe(true)
    expect(incomingTrace(VALID, '  ').tracestate).toBeUndefined()
  })
})

describe('trace propagation and ids', () => {
  it('an outgoing call names our span as its parent, in the same trace', () => {
    const ours = incomingTrace(VALID, 'congo=t61rcWkgMzE')
    const headers = outgoingTraceHeaders(ours)
    expect(headers).toEqual({ traceparent: `00-${TRACE_ID}-${ours.spanId}-01`, tracestate: 'congo=t61rcWkgMzE' })
    const theirs = incomingTrace(headers.traceparent, headers.tracestate)
    expect(theirs).toMatchObject({ traceId: TRACE_ID, parentSpanId: ours.spanId, flags: '01', tracestate: 'congo=t61rcWkgMzE' })
    const root = incomingTrace(undefined, undefined)
    expect(outgoingTraceHeaders(root)).toEqual({ traceparent: `00-${root.traceId}-${root.spanId}-01` })
  })

  it('ids are lowercase hex of their length, never zero, and unique across pool refills', () => {
    const traces = new Set<string>()
    const spans = new Set<string>()
    for (let i = 0; i < 10_000; i++) {
      traces.add(newTraceId())
      spans.add(newSpanId())
    }
    expect(traces.size).toBe(10_000)
    expect(spans.size).toBe(10_000)
    expect([...traces].join(',')).toMatch(/^[\da-f]{32}(?:,[\da-f]{32})*$/)
    expect([...spans].join(',')).toMatch(/^[\da-f]{16}(?:,[\da-f]{16})*$/)
    expect(traces.has('0'.repeat(32))).toBe(false)
  })
})

// --- OTLP export -----------------------------------------------------------------------------

interface Received { url: string, headers: IncomingHttpHeaders, body: any }

/** A collector on a free port; it answers `status`, after `hold` resolves when one is given. */
async function collector(answer: { status?: number, hold?: Promise<void> } = {}): Promise<{ url: string, received: Received[], next: (count: number) => Promise<void>, close: () => Promise<void> }> {
  const received: Received[] = []
  const waiters: (() => void)[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', c => chunks.push(c))
    req.on('end', async () => {
      received.push({ url: req.url!, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) })
      waiters.splice(0).forEach(wake => wake())
      await answer.hold
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const next = async (count: number): Promise<void> => {
    while (received.length < count)
      await new Promise<void>(resolve => waiters.push(resolve))
  }
  return { url: `http://127.0.0.1:${port}`, received, next, close: () => new Promise(resolve => server.close(() => resolve())) }
}

function span(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: TRACE_ID,
    spanId: 'b7ad6b7169203331',
    parentSpanId: PARENT_ID,
    name: 'add',
    kind: 'server',
    startMs: 1_700_000_000_000.5,
    durationMs: 1.25,
    status: 200,
    ...overrides,
  }
}

const spansOf = (request: Received): any[] => request.body.resourceSpans[0].scopeSpans[0].spans

describe('oTLP span export', () => {
  it('is off unless an endpoint is set', () => {
    expect(createSpanExporter('add', {})).toBeUndefined()
    expect(createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined()
    expect(createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' })).toBeUndefined()
  })

  it('posts OTLP/HTTP JSON to the endpoint + /v1/traces, with the configured headers', async () => {
    const server = await collector()
    try {
      const exporter = createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: `${server.url}/otel/`, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s3cr%20et, X-Tenant = acme,malformed' })!
      exporter.export(span({ status: 200, attributes: { 'http.request.method': 'POST', 'femto.retried': false, 'femto.ratio': 0.5, 'femto.attempt': 2 } }))
      exporter.export(span({ spanId: '1111111111111111', parentSpanId: undefined, name: 'inStock', kind: 'client', status: 503 }))
      await exporter.flush()
      expect(server.received).toHaveLength(1)
      const [request] = server.received
      expect(request!.url).toBe('/otel/v1/traces')
      expect(request!.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': 's3cr et', 'x-tenant': 'acme' })
      const [resourceSpans] = request!.body.resourceSpans
      expect(resourceSpans.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'add' } }])
      expect(resourceSpans.scopeSpans[0].scope).toEqual({ name: 'unplugin-femto' })
      const [server_, client] = spansOf(request!)
      expect(server_).toEqual({
        traceId: TRACE_ID,
        spanId: 'b7ad6b7169203331',
        parentSpanId: PARENT_ID,
        name: 'add',
        kind: 2,
        startTimeUnixNano: '1700000000000500000',
        endTimeUnixNano: '1700000000001750000',
        attributes: [
          { key: 'http.response.status_code', value: { intValue: '200' } },
          { key: 'http.request.method', value: { stringValue: 'POST' } },
          { key: 'femto.retried', value: { boolValue: false } },
          { key: 'femto.ratio', value: { doubleValue: 0.5 } },
          { key: 'femto.attempt', value: { intValue: '2' } },
        ],
        status: { code: 0 },
      })
      expect(client).toMatchObject({ spanId: '1111111111111111', name: 'inStock', kind: 3, status: { code: 2 } })
      expect(client).not.toHaveProperty('parentSpanId')
    }
    finally {
      await server.close()
    }
  })

  it('uses the traces endpoint as it is, and OTEL_SERVICE_NAME over the service\'s name', async () => {
    const server = await collector()
    try {
      const exporter = createSpanExporter('add', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${server.url}/custom`, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SERVICE_NAME: 'shop-add' })!
      exporter.export(span())
      await exporter.flush()
      expect(server.received[0]!.url).toBe('/custom')
      expect(server.received[0]!.body.resourceSpans[0].resource.attributes[0].value.stringValue).toBe('shop-add')
    }
    finally {
      await server.close()
    }
  })

  it('batches: 512 spans go at once, fewer wait for the 1 s timer', async () => {
    const server = await collector()
    try {
      const exporter = createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: server.url })!
      for (let i = 0; i < 600; i++)
        exporter.export(span({ name: `span-${i}` }))
      await server.next(1)
      expect(spansOf(server.received[0]!)).toHaveLength(512)
      const sent = Date.now()
      await server.next(2)
      expect(Date.now() - sent).toBeGreaterThan(500)
      expect(spansOf(server.received[1]!).map(s => s.name)).toEqual(Array.from({ length: 88 }, (_, i) => `span-${512 + i}`))
      await exporter.flush()
      expect(server.received).toHaveLength(2)
    }
    finally {
      await server.close()
    }
  })

  it('keeps at most 2048 spans while the collector is slow, dropping the oldest', async () => {
    let release!: () => void
    const server = await collector({ hold: new Promise(resolve => release = resolve) })
    const warnings = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      const exporter = createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: server.url })!
      for (let i = 0; i < 3600; i++)
        exporter.export(span({ name: `span-${i}` }))
      await server.next(1)
      release()
      await exporter.flush()
      const names = server.received.flatMap(request => spansOf(request).map(s => s.name))
      expect(names).toHaveLength(512 + 2048)
      expect(names.slice(0, 512)).toEqual(Array.from({ length: 512 }, (_, i) => `span-${i}`))
      expect(names.slice(512)).toEqual(Array.from({ length: 2048 }, (_, i) => `span-${3600 - 2048 + i}`))
      expect(String(warnings.mock.calls[0]?.[0])).toMatch(/queue was full .*dropped 1040 span/)
    }
    finally {
      await server.close()
    }
  })

  it('a dead endpoint or a failing collector never throws; it warns once a minute at most', async () => {
    const dead = await collector()
    await dead.close()
    const warnings = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const exporter = createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: dead.url })!
    exporter.export(span())
    await expect(exporter.flush()).resolves.toBeUndefined()
    exporter.export(span())
    await exporter.flush()
    expect(warnings).toHaveBeenCalledTimes(1)
    expect(String(warnings.mock.calls[0]![0])).toMatch(/could not export spans to .*ECONNREFUSED; dropped 1 span/)

    const failing = await collector({ status: 500 })
    try {
      const other = createSpanExporter('add', { OTEL_EXPORTER_OTLP_ENDPOINT: failing.url })!
      other.export(span())
      await other.flush()
      expect(failing.received).toHaveLength(1)
      expect(String(warnings.mock.calls[1]![0])).toMatch(/HTTP 500/)
    }
    finally {
      await failing.close()
    }
  })
})
