import type { SchemaRequest } from '../schema/derive'
import type { FunctionSchema } from '../schema/types'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { workerRequests } from './worker-requests'

/**
 * The schemas of `request`, kept in the schema cache when `keep` (fresh-schemas.ts); or, with
 * `prepare`, the first program of a request for those modules, made before it comes.
 */
export type TypesRequest = { seq: number } & ({ request: SchemaRequest & { root: string }, keep: boolean } | { prepare: { files: string[], root: string, keep: boolean } })
/** No `schemas`: the derivation threw (the caller derives in its own thread, for the error). */
export interface TypesReply { seq: number, schemas?: [string, FunctionSchema][] }

export interface TypesThread {
  /** The schemas of `request`, or undefined when the derivation failed or the thread is gone. */
  derive: (request: SchemaRequest & { root: string }, keep: boolean) => Promise<Map<string, FunctionSchema> | undefined>
  /** Makes the first program of the coming request for modules `files` (a build's, before its scan). */
  prepare: (files: string[], root: string, keep: boolean) => void
  close: () => Promise<void>
}

/**
 * TypeScript's programs on a worker thread of their own (types-worker.ts). `vite dev`'s after a
 * start the schema cache served: loading TypeScript and parsing its libs for the first edit of a
 * type (~1 s, types-schedule.ts's warm-up), and that edit's program, run beside the dev server's
 * thread, which keeps answering calls and serving pages meanwhile. A cold build's first program,
 * made while the bundler starts and the modules are analysed (types-schedule.ts's `early`).
 * Undefined where there is no such file to run: the plugin's sources run under Vitest, which
 * derive in their own thread.
 */
export function startTypesThread(): TypesThread | undefined {
  const file = fileURLToPath(new URL('./types-worker.js', import.meta.url))
  if (!existsSync(file))
    return undefined
  const worker = workerRequests<Omit<TypesRequest, 'seq'>, TypesReply>(file)
  return {
    derive: async (request, keep) => {
      const reply = await worker.ask({ request, keep })
      return reply?.schemas && new Map(reply.schemas)
    },
    prepare: (files, root, keep) => {
      void worker.ask({ prepare: { files, root, keep } })
    },
    close: worker.close,
  }
}
