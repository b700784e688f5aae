import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { FunctionEntry, FunctionTable } from '../../src/runtime/server/function-table'
import type { ServedFunction } from '../../src/runtime/server/types'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createFunctionTable, pathOf, serveRoute } from '../../src/runtime/server/function-table'
import { metrics } from '../../src/runtime/server/observe'

// The table and the request path in this process, over real HTTP on a port from the OS: no
// service is started, so what a call leaves behind (metrics, the in-flight count) can be read.

function spec(name: string, fn: ServedFunction['fn'], extra: Partial<ServedFunction> = {}): ServedFunction {
  return {
    name,
    route: `/femto/${name}`,
    params: [{ name: 'a', optional: false, rest: false }, { name: 'b', optional: false, rest: false }],
    bodyLimit: 1024,
    fn,
    ...extra,
  }
}

let release: ((value: number) => void) | undefined
function slow(): Promise<number> {
  return new Promise((resolve) => {
    release = resolve
  })
}

let table: FunctionTable
let server: Server
let base: string
/** The response of the last call the server answered, for waiting on its 'close'. */
let lastResponse: ServerResponse | undefined

beforeAll(async () => {
  // The 504 below would log a warning.
  vi.stubEnv('FEMTO_LOG_LEVEL', 'error')
  table = createFunctionTable({
    service: 'table-test',
    functions: [
      spec('add', (a: number, b: number) => a + b, { concurrency: 2 }),
      spec('late', slow, { timeoutMs: 50 }),
    ],
  })
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    lastResponse = res
    const entry = table.lookup(pathOf(req))
    if (entry)
      serveRoute(entry, req, res)
    else
      res.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(() => {
  server?.close()
  vi.unstubAllEnvs()
})

const entryOf = (name: string): FunctionEntry => table.entries.find(entry => entry.fn.name === name)!
function requestsTotal(name: string, status: number): number {
  const line = metrics.render().split('\n').find(l => l.startsWith('femto_requests_total{') && l.includes(`function="${name}"`) && l.includes(`status="${status}"`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

async function post(name: string, body: string): Promise<Response> {
  const response = await fetch(`${base}/femto/${name}?q=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  // The server's side of the call ends at its response's 'close', after what the client reads.
  const res = lastResponse!
  if (!res.closed)
    await once(res, 'close')
  return response
}

describe('the table of served functions', () => {
  it('finds a function by its route, and lists what it serves', () => {
    expect(table.lookup('/femto/add')?.fn.name).toBe('add')
    expect(table.lookup('/femto/nothing')).toBeUndefined()
    expect(table.listing).toBe('POST /femto/add, POST /femto/late')
    // One guard and one metrics handle per function, made once, not per call.
    expect(new Set(table.entries.map(entry => entry.guard)).size).toBe(1)
    expect(entryOf('add').metrics).toBe(metrics.forFunction('add'))
  })

  it('keeps the in-flight count on the entry, back to 0 once calls are answered, and nothing of the call on the spec', async () => {
    for (const body of ['[2,3]', '[1]', 'not json']) {
      await post('add', body)
      expect(entryOf('add').active).toBe(0)
    }
    expect(Object.keys(entryOf('add').fn).sort()).toEqual(['bodyLimit', 'concurrency', 'fn', 'name', 'params', 'route'])
    expect(Object.getOwnPropertySymbols(lastResponse!).filter(s => String(s).includes('femto'))).toEqual([])
  })

  it('answers a call once and observes it once, even when its function answers after its timeout', async () => {
    const response = await post('late', '[1,2]')
    expect(response.status).toBe(504)
    release!(3)
    // Its late answer is handled once the pending callbacks have run: after that, still one call, answered 504.
    await new Promise(resolve => setImmediate(resolve))
    expect(requestsTotal('late', 504)).toBe(1)
    expect(requestsTotal('late', 200)).toBe(0)
  })
})
