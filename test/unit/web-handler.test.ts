import type { Server } from 'node:http'
import type { AuthRequest } from '../../src/runtime/server/guard'
import type { ServedFunction } from '../../src/runtime/server/types'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFunctionTable, pathOf, serveRoute } from '../../src/runtime/server/function-table'
import { createFemtoHandler, pathOfUrl } from '../../src/runtime/server/web-handler'
import { freePort } from '../helpers'

// The Web-standard handler (unplugin-femto/handler) in this process: in-process mode runs the
// request path on bridged Request/Response objects; proxy mode forwards to a real node:http
// server on a port from the OS that serves the same functions with a token, as a service does.

const TOKEN = 'unit-token-5f1d'

let release: (() => void) | undefined
const seen: AuthRequest[] = []

function spec(name: string, fn: ServedFunction['fn'], extra: Partial<ServedFunction> = {}): ServedFunction {
  return { name, route: `/femto/${name}`, params: [{ name: 'a', optional: false, rest: false }, { name: 'b', optional: false, rest: false }], bodyLimit: 1024, fn, ...extra }
}

const FUNCTIONS: ServedFunction[] = [
  spec('add', (a: number, b: number) => a + b, { validate: args => typeof args[0] === 'number' ? undefined : '$[0]: expected number' }),
  spec('fail', () => {
    throw Object.assign(new Error('out of stock'), { code: 'OUT_OF_STOCK' })
  }, { params: [] }),
  spec('bug', () => {
    throw new Error('a secret detail')
  }, { params: [] }),
  spec('ticks', async function* (a: number) {
    yield { n: a }
    // The second value only once the test has read the first: it must arrive before the stream ends.
    await new Promise<void>((resolve) => {
      release = resolve
    })
    yield { n: a + 1 }
  }, { stream: true, params: [{ name: 'a', optional: false, rest: false }] }),
  spec('who', () => seen.at(-1)?.headers['x-femto-authorization'] ?? null, { params: [], auth: (request) => {
    seen.push(request)
    return true
  } }),
]

function call(url: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

beforeAll(() => {
  vi.stubEnv('FEMTO_LOG_LEVEL', 'error')
})

describe('pathOfUrl', () => {
  it('takes the path of an absolute URL, without query or fragment', () => {
    expect(pathOfUrl('http://localhost:3000/femto/add?x=1#y')).toBe('/femto/add')
    expect(pathOfUrl('https://example.com')).toBe('/')
    expect(pathOfUrl('http://h/')).toBe('/')
  })
})

describe('in-process mode', () => {
  const handler = createFemtoHandler({ mode: 'in-process', functions: FUNCTIONS, basePath: '/femto' })
  const base = 'http://app.test'

  it('answers a call under the base path', async () => {
    const res = (await handler(call(`${base}/femto/add`, [2, 3])))!
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(await res.json()).toBe(5)
  })

  it('is undefined for every other path, before reading anything', async () => {
    for (const path of ['/', '/femtox/add', '/about', '/femt', '/api/femto/add'])
      expect(await handler(call(`${base}${path}`, [1, 2])), path).toBeUndefined()
  })

  it('answers errors in the wire\'s JSON shape', async () => {
    const missing = (await handler(call(`${base}/femto/nope`, [])))!
    expect(missing.status).toBe(404)
    expect((await missing.json()).error).toMatchObject({ code: 'NOT_FOUND' })

    const invalid = (await handler(call(`${base}/femto/add`, ['x', 1])))!
    expect(invalid.status).toBe(400)
    expect(await invalid.json()).toEqual({ error: { code: 'INVALID_ARGUMENT', message: '$[0]: expected number' } })

    const badJson = (await handler(new Request(`${base}/femto/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,' })))!
    expect(badJson.status).toBe(400)
    expect((await badJson.json()).error.code).toBe('INVALID_JSON')

    const expected = (await handler(call(`${base}/femto/fail`, [])))!
    expect(expected.status).toBe(500)
    expect((await expected.json()).error).toMatchObject({ code: 'OUT_OF_STOCK', message: 'out of stock' })

    vi.spyOn(console, 'error').mockImplementation(() => {})
    const bug = (await handler(call(`${base}/femto/bug`, [])))!
    const payload = (await bug.json()).error
    expect(bug.status).toBe(500)
    expect(payload).toMatchObject({ code: 'INTERNAL_ERROR', requestId: bug.headers.get('x-request-id') })
    expect(JSON.stringify(payload)).not.toContain('a secret detail')

    const get = (await handler(new Request(`${base}/femto/add`)))!
    expect(get.status).toBe(405)
    expect((await get.json()).error.code).toBe('METHOD_NOT_ALLOWED')

    const large = (await handler(call(`${base}/femto/add`, [1, 'x'.repeat(2000)])))!
    expect(large.status).toBe(413)
    expect((await large.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('keeps the caller\'s request id', async () => {
    const res = (await handler(call(`${base}/femto/add`, [1, 1], { 'x-request-id': 'req-abc-1' })))!
    expect(res.headers.get('x-request-id')).toBe('req-abc-1')
  })

  it('streams a generator\'s values as they are yielded', async () => {
    await streamsLineByLine(handler, `${base}/femto/ticks`)
  })

  it('answers 413 to a body over the limit, declared or streamed, and stays up', async () => {
    const big = JSON.stringify(['x'.repeat(4096), 1])
    const declared = (await handler(new Request('http://app.test/femto/add', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(big.length) }, body: big })))!
    expect(declared.status).toBe(413)
    expect((await declared.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
    // No content-length: the limit is found as the bytes arrive.
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`["${'y'.repeat(2048)}`))
        controller.enqueue(new TextEncoder().encode(`${'y'.repeat(2048)}", 1]`))
        controller.close()
      },
    })
    const streamed = (await handler(new Request('http://app.test/femto/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit)))!
    expect(streamed.status).toBe(413)
    expect((await streamed.json()).error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(await (await handler(call('http://app.test/femto/add', [2, 3])))!.json()).toBe(5)
  })

  it('takes a file upload (multipart), of any size up to the limit', async () => {
    const files = createFemtoHandler({ mode: 'in-process', basePath: '/femto', functions: [spec('size', async (file: File) => `${file.name}:${file.size}`, { params: [{ name: 'file', optional: false, rest: false }], fields: ['File'], bodyLimit: 10_000_000 })] })
    for (const size of [10, 200_000, 5_000_000]) {
      const form = new FormData()
      form.append('file', new File([new Uint8Array(size)], 'a.bin'))
      const res = (await files(new Request('http://app.test/femto/size', { method: 'POST', body: form })))!
      expect(await res.json()).toBe(`a.bin:${size}`)
    }
  })

  it('serves no internal function from outside: the functions in this process call it directly', async () => {
    const inside = createFemtoHandler({ mode: 'in-process', basePath: '/femto', functions: [...FUNCTIONS, spec('ledger', () => 'entries', { params: [], internal: true })] })
    const refused = (await inside(call('http://app.test/femto/ledger', [])))!
    expect(refused.status).toBe(404)
    expect((await refused.json()).error.code).toBe('NOT_FOUND')
    expect(await (await inside(call('http://app.test/femto/add', [1, 1])))!.json()).toBe(2)
    // The build's femto.json says which are internal.
    const dir = mkdtempSync(join(tmpdir(), 'femto-handler-'))
    writeFileSync(join(dir, 'femto.json'), JSON.stringify({ basePath: '/femto', services: [], functions: [{ route: '/femto/fail', service: 'x', exposure: 'internal' }, { route: '/femto/add', service: 'x', exposure: 'public' }] }))
    const built = createFemtoHandler({ mode: 'in-process', manifest: join(dir, 'femto.json'), functions: FUNCTIONS })
    expect((await built(call('http://app.test/femto/fail', [])))!.status).toBe(404)
    expect(await (await built(call('http://app.test/femto/add', [1, 1])))!.json()).toBe(2)
  })

  it('refuses a call from another origin, as the router does', async () => {
    const res = (await handler(call(`${base}/femto/add`, [1, 1], { 'origin': 'https://evil.test', 'sec-fetch-site': 'cross-site' })))!
    expect(res.status).toBe(403)
    expect((await res.json()).error.code).toBe('FORBIDDEN')
  })
})

/** The first line arrives while the generator still waits; the second after it is released. */
async function streamsLineByLine(handler: ReturnType<typeof createFemtoHandler>, url: string): Promise<void> {
  release = undefined
  const res = (await handler(call(url, [7])))!
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/ndjson/)
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (!text.includes('\n'))
    text += decoder.decode((await reader.read()).value)
  expect(text).toBe('{"n":7}\n')
  await expect.poll(() => release).toBeDefined()
  release!()
  for (let step = await reader.read(); !step.done; step = await reader.read())
    text += decoder.decode(step.value)
  expect(text).toBe('{"n":7}\n{"n":8}\n')
}

describe('proxy mode', () => {
  let server: Server
  let origin: string

  beforeAll(async () => {
    // A service with FEMTO_TOKEN: every call must carry it.
    vi.stubEnv('FEMTO_TOKEN', TOKEN)
    const table = createFunctionTable({ service: 'unit', functions: FUNCTIONS })
    vi.unstubAllEnvs()
    vi.stubEnv('FEMTO_LOG_LEVEL', 'error')
    server = createServer((req, res) => {
      const entry = table.lookup(pathOf(req))
      if (entry)
        return serveRoute(entry, req, res)
      res.writeHead(404).end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const address = server.address()
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    server.close()
  })

  const routes = (): Record<string, string> => Object.fromEntries(FUNCTIONS.map(fn => [fn.route, origin]))

  it('the service itself refuses a call without the token', async () => {
    const res = await fetch(`${origin}/femto/add`, { method: 'POST', body: '[1,2]', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(401)
    expect((await res.json()).error.code).toBe('UNAUTHORIZED')
  })

  it('forwards a call with the token, and the request id and trace through', async () => {
    const handler = createFemtoHandler({ routes: routes(), token: TOKEN, basePath: '/femto' })
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const res = (await handler(call('http://app.test/femto/add?x=1', [20, 22], { 'x-request-id': 'req-proxy-1', traceparent })))!
    expect(res.status).toBe(200)
    expect(await res.json()).toBe(42)
    expect(res.headers.get('x-request-id')).toBe('req-proxy-1')
    expect(await handler(call('http://app.test/other', [1, 2]))).toBeUndefined()
  })

  it('moves the browser\'s own Authorization aside for the auth hook, and drops x-femto-internal', async () => {
    const handler = createFemtoHandler({ routes: routes(), token: TOKEN, basePath: '/femto' })
    const res = (await handler(call('http://app.test/femto/who', [], { 'authorization': 'Bearer user-session', 'x-femto-internal': '1' })))!
    expect(res.status).toBe(200)
    expect(await res.json()).toBeNull()
    // The hook ran (the call counted as one from outside) and saw the browser's header, not the token.
    expect(seen.at(-1)!.headers.authorization).toBe('Bearer user-session')
    expect(JSON.stringify(seen.at(-1)!.headers)).not.toContain(TOKEN)
  })

  it('passes the service\'s errors through in the wire\'s shape', async () => {
    const handler = createFemtoHandler({ routes: routes(), token: TOKEN, basePath: '/femto' })
    const res = (await handler(call('http://app.test/femto/fail', [])))!
    expect(res.status).toBe(500)
    expect((await res.json()).error).toMatchObject({ code: 'OUT_OF_STOCK' })
    const missing = (await handler(call('http://app.test/femto/nope', [])))!
    expect(missing.status).toBe(404)
    expect((await missing.json()).error.code).toBe('NOT_FOUND')
  })

  it('streams a streamed result through', async () => {
    await streamsLineByLine(createFemtoHandler({ routes: routes(), token: TOKEN, basePath: '/femto' }), 'http://app.test/femto/ticks')
  })

  it('a service that is down: 503 UNAVAILABLE, marked as not reached', async () => {
    const port = await freePort()
    const handler = createFemtoHandler({ routes: { '/femto/add': `http://127.0.0.1:${port}` }, basePath: '/femto' })
    const res = (await handler(call('http://app.test/femto/add', [1, 2])))!
    expect(res.status).toBe(503)
    expect(res.headers.get('x-femto-not-reached')).toBe('1')
    expect((await res.json()).error.code).toBe('UNAVAILABLE')
  })

  it('finds the services from femto.json and FEMTO_URL_*, and says which variable is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-handler-'))
    writeFileSync(join(dir, 'femto.json'), JSON.stringify({
      basePath: '/api',
      services: [{ name: 'math', env: 'FEMTO_URL_MATH' }, { name: 'gone', env: 'FEMTO_URL_GONE_UNIT' }],
      functions: [{ route: '/femto/add', service: 'math' }, { route: '/api/x', service: 'gone' }],
    }))
    vi.stubEnv('FEMTO_URL_MATH', origin)
    const handler = createFemtoHandler({ manifest: join(dir, 'femto.json'), token: TOKEN })
    // The build's basePath (/api): /femto is not the handler's.
    expect(await handler(call('http://app.test/femto/add', [1, 2]))).toBeUndefined()
    const unset = (await handler(call('http://app.test/api/x', [])))!
    expect(unset.status).toBe(503)
    expect((await unset.json()).error.message).toMatch(/FEMTO_URL_GONE_UNIT is not set/)
  })

  it('routes no internal function from outside, as every gateway does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-handler-'))
    writeFileSync(join(dir, 'femto.json'), JSON.stringify({
      basePath: '/femto',
      services: [{ name: 'math', env: 'FEMTO_URL_MATH' }],
      functions: [{ route: '/femto/add', service: 'math', exposure: 'public' }, { route: '/femto/ledger', service: 'math', exposure: 'internal' }],
    }))
    vi.stubEnv('FEMTO_URL_MATH', origin)
    const handler = createFemtoHandler({ manifest: join(dir, 'femto.json'), token: TOKEN })
    expect((await handler(call('http://app.test/femto/add', [1, 2])))!.status).toBe(200)
    const internal = (await handler(call('http://app.test/femto/ledger', [])))!
    expect(internal.status).toBe(404)
    expect((await internal.json()).error.code).toBe('NOT_FOUND')
  })

  it('without a build: a JSON 500 that says what to do', async () => {
    const handler = createFemtoHandler({ manifest: join(tmpdir(), 'no-such-femto-build/femto.json') })
    const res = (await handler(call('http://app.test/femto/add', [1, 2])))!
    expect(res.status).toBe(500)
    expect((await res.json()).error.message).toMatch(/cannot read .*femto\.json.*build the app first/)
  })
})

describe('without a build (vite dev)', () => {
  it('leaves every page to the framework, and answers calls with a JSON error that says what to do', async () => {
    const handler = createFemtoHandler({ manifest: join(tmpdir(), 'no-such-femto-build-2/femto.json') })
    expect(await handler(new Request('http://app.test/'))).toBeUndefined()
    const res = (await handler(call('http://app.test/femto/add', [1, 2])))!
    expect(res.status).toBe(500)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect((await res.json()).error.code).toBe('INTERNAL_ERROR')
    expect(await handler(new Request('http://app.test/about'))).toBeUndefined()
  })
})

describe('fEMTO_HANDLER_MODE', () => {
  it('chooses the mode when the code does not: one build runs either way', async () => {
    vi.stubEnv('FEMTO_HANDLER_MODE', 'in-process')
    const handler = createFemtoHandler({ functions: FUNCTIONS, basePath: '/femto' })
    expect(await (await handler(call('http://app.test/femto/add', [4, 5])))!.json()).toBe(9)
    vi.stubEnv('FEMTO_HANDLER_MODE', 'monolith')
    const wrong = (await createFemtoHandler({ functions: FUNCTIONS, basePath: '/femto' })(call('http://app.test/femto/add', [4, 5])))!
    expect(wrong.status).toBe(500)
    expect((await wrong.json()).error.message).toMatch(/FEMTO_HANDLER_MODE is 'monolith': it takes proxy or in-process/)
    vi.unstubAllEnvs()
  })
})
