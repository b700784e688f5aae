import { Worker } from 'node:worker_threads'

export interface WorkerRequests<Request, Reply> {
  /** The worker's reply to `request`, or undefined once the worker is gone. */
  ask: (request: Request) => Promise<Reply | undefined>
  close: () => Promise<void>
}

/**
 * A worker thread of `vite dev` (the analysis and types threads) asked one request at a time by
 * sequence number. It never keeps `vite dev` running, and a worker that fails or exits answers
 * every waiting request with undefined, so the dev server does that work on its own thread.
 */
export function workerRequests<Request extends object, Reply extends { seq: number }>(file: string): WorkerRequests<Request, Reply> {
  const worker = new Worker(file)
  worker.unref()
  const waiting = new Map<number, (reply: Reply | undefined) => void>()
  let seq = 0
  let gone = false
  const end = (): void => {
    gone = true
    for (const settle of waiting.values())
      settle(undefined)
    waiting.clear()
  }
  worker.on('message', (reply: Reply) => {
    waiting.get(reply.seq)?.(reply)
    waiting.delete(reply.seq)
  })
  worker.on('error', end)
  worker.on('exit', end)
  return {
    ask(request) {
      if (gone)
        return Promise.resolve(undefined)
      return new Promise((settle) => {
        waiting.set(++seq, settle)
        worker.postMessage({ seq, ...request })
      })
    },
    async close() {
      gone = true
      await worker.terminate()
    },
  }
}
