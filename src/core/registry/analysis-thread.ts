import type { ModuleAnalysis } from '../transform/analyze'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { workerRequests } from './worker-requests'

/** Without `displayId`: only the module's schema shape (source-shape.ts). */
export interface AnalysisRequest { seq: number, id: string, code: string, displayId?: string }
/**
 * No `analysis`: the module did not analyse (the caller repeats it in its own thread, for the error).
 * `shape`: the answer to a request for the shape; null when the module has none.
 */
export interface AnalysisReply { seq: number, analysis?: ModuleAnalysis, shape?: string | null }

export interface AnalysisThread {
  /** The module's analysis, or undefined when it failed or the thread is gone. */
  analyze: (id: string, code: string, displayId: string) => Promise<ModuleAnalysis | undefined>
  /** The module's schema shape (null: it has none), or undefined when the thread is gone. */
  shape: (id: string, code: string) => Promise<string | null | undefined>
  close: () => Promise<void>
}

/**
 * The dev server's analyses on a worker thread that loads Babel as it starts (analysis-worker.ts).
 * Undefined where there is no such file to run: the plugin's sources run under Vitest, which
 * analyse in their own thread as builds always do.
 */
export function startAnalysisThread(): AnalysisThread | undefined {
  const file = fileURLToPath(new URL('./analysis-worker.js', import.meta.url))
  if (!existsSync(file))
    return undefined
  const worker = workerRequests<Omit<AnalysisRequest, 'seq'>, AnalysisReply>(file)
  return {
    analyze: async (id, code, displayId) => (await worker.ask({ id, code, displayId }))?.analysis,
    shape: async (id, code) => (await worker.ask({ id, code }))?.shape,
    close: worker.close,
  }
}
