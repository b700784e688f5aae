import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { workerRequests } from '../../src/core/registry/worker-requests'

// vite dev's analysis and types threads answer through this; a thread that fails must answer
// every waiting request with undefined, so the dev server does the work itself (and throws its error).
const dir = mkdtempSync(join(tmpdir(), 'femto-worker-requests-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function workerFile(name: string, onMessage: string): string {
  const file = join(dir, `${name}.mjs`)
  writeFileSync(file, `import { parentPort } from 'node:worker_threads'\nparentPort.on('message', (message) => {\n${onMessage}\n})\n`)
  return file
}

describe('a worker asked by sequence number', () => {
  it('answers each request with its own reply, in whatever order they come', async () => {
    // The first request is answered last.
    const worker = workerRequests<{ n: number }, { seq: number, twice: number }>(workerFile('echo', 'setTimeout(() => parentPort.postMessage({ seq: message.seq, twice: message.n * 2 }), message.n === 1 ? 50 : 0)'))
    const replies = await Promise.all([worker.ask({ n: 1 }), worker.ask({ n: 2 }), worker.ask({ n: 3 })])
    expect(replies.map(reply => reply?.twice)).toEqual([2, 4, 6])
    await worker.close()
  })

  it('settles what waits with undefined when the worker throws, and answers undefined after', async () => {
    const worker = workerRequests<{ n: number }, { seq: number }>(workerFile('throws', 'throw new Error(\'broken\')'))
    expect(await worker.ask({ n: 1 })).toBeUndefined()
    expect(await worker.ask({ n: 2 })).toBeUndefined()
    await worker.close()
  })

  it('settles what waits with undefined when the worker exits', async () => {
    const worker = workerRequests<{ n: number }, { seq: number }>(workerFile('exits', 'process.exit(3)'))
    expect(await worker.ask({ n: 1 })).toBeUndefined()
    await worker.close()
  })

  it('answers undefined once closed', async () => {
    const worker = workerRequests<{ n: number }, { seq: number }>(workerFile('silent', ''))
    await worker.close()
    expect(await worker.ask({ n: 1 })).toBeUndefined()
  })

  it('holds the process only while a reply is awaited: not when idle, not once answered', async () => {
    // A worker's port that holds the process is an active 'MessagePort' resource (Node 20).
    const ports = (): number => process.getActiveResourcesInfo().filter(kind => kind === 'MessagePort').length
    const before = ports()
    const worker = workerRequests<{ n: number }, { seq: number }>(workerFile('slow', 'setTimeout(() => parentPort.postMessage({ seq: message.seq }), 100)'))
    expect(ports()).toBe(before)
    const reply = worker.ask({ n: 1 })
    expect(ports()).toBe(before + 1)
    expect(await reply).toEqual({ seq: 1 })
    expect(ports()).toBe(before)
    await worker.close()
  })
})
