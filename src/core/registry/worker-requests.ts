import { Worker } from 'node:worker_threads'

export interface WorkerRequests<Request, Reply> {
  /** The worker's reply to `request`, or undefined once the worker is gone. */
  ask: (request: Request) => Promise<Reply | undefined>
  close: () => Promise<void>
}

/**
 * A worker thread (the analysis and types threads) asked one request at a time by sequence
 * number. It keeps the process running only while a reply is awaited, and a worker that fails or
 * exits answers every waiting request with undefined, so the caller does that work on its own thread.
 */
export function workerRequests<Request extends object, Reply extends { seq: number }>(file: string): WorkerRequests<Request, Reply> {
  const worker = new Worker(file, { execArgv: workerExecArgv() })
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
    if (waiting.size === 0)
      worker.unref()
  })
  worker.on('error', end)
  worker.on('exit', end)
  // Only while a reply is awaited: a process waiting for nothing else must not end before it
  // comes, and an idle thread nobody closed must not keep it running. After the listeners:
  // adding a 'message' listener refs the worker's port again (Node 20).
  worker.unref()
  return {
    ask(request) {
      if (gone)
        return Promise.resolve(undefined)
      return new Promise((settle) => {
        worker.ref()
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

/**
 * The process's Node options, as a worker inherits them, without `--input-type`: a build run
 * with `node --input-type=module -e …` would otherwise fail to start any worker from a file.
 */
function workerExecArgv(): string[] {
  const args: string[] = []
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!
    if (arg === '--input-type')
      i++
    else if (!arg.startsWith('--input-type='))
      args.push(arg)
  }
  return args
}
