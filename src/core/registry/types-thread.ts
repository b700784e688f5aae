import type { SchemaRequest } from '../schema/derive'
import type { FunctionSchema } from '../schema/types'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** The schemas of `request`, kept in the schema cache when `cache`. */
export interface TypesRequest { seq: number, request: SchemaRequest, cache: boolean }
/** No `schemas`: the derivation threw (the caller derives in its own thread, for the error). */
export interface TypesReply { seq: number, schemas?: [string, FunctionSchema][] }

export interface TypesThread {
  /** The schemas of `request`, or undefined when the derivation failed or the thread is gone. */
  derive: (request: SchemaRequest, cache: boolean) => Promise<Map<string, FunctionSchema> | undefined>
  close: () => Promise<void>
}

/**
 * `vite dev`'s TypeScript programs on a worker thread of their own (types-worker.ts), after a
 * start the schema cache served: loading TypeScript and parsing its libs for the first edit of a
 * type (~1 s, types-schedule.ts's warm-up), and that edit's program, run beside the dev server's
 * thread, which keeps answering calls and serving pages meanwhile. Undefined where there is no
 * such file to run: the plugin's sources run under Vitest, which derive in their own thread as
 * builds always do.
 */
export function startTypesThread(): TypesThread | undefined {
  const file = fileURLToPath(new URL('./types-worker.js', import.meta.url))
  if (!existsSync(file))
    return undefined
  const worker = new Worker(file)
  // Never what keeps `vite dev` running, nor a reason it cannot stop.
  worker.unref()
  const waiting = new Map<number, (reply: TypesReply | undefined) => void>()
  let seq = 0
  let gone = false
  const end = (): void => {
    gone = true
    for (const settle of waiting.values())
      settle(undefined)
    waiting.clear()
  }
  worker.on('message', (reply: TypesReply) => {
    waiting.get(reply.seq)?.(reply)
    waiting.delete(reply.seq)
  })
  worker.on('error', end)
  worker.on('exit', end)
  return {
    derive(request, cache) {
      if (gone)
        return Promise.resolve(undefined)
      return new Promise((settle) => {
        waiting.set(++seq, reply => settle(reply?.schemas && new Map(reply.schemas)))
        worker.postMessage({ seq, request, cache } satisfies TypesRequest)
      })
    },
    async close() {
      gone = true
      await worker.terminate()
    },
  }
}
