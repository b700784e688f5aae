// A worker thread of `vite dev` that analyses edited modules: Babel loads here, on the other
// core, while Vite starts, so neither the first call nor the first edit waits for its load
// (~150-400 ms) on the dev server's own thread (analysis-thread.ts).
import type { AnalysisReply, AnalysisRequest } from './analysis-thread'
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { sourceShape } from '../schema/source-shape'

// Below the dev server's own thread: Babel's load should use a core nothing else wants, not slow
// the first call (Linux names this thread's id in /proc; elsewhere it keeps its priority).
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19)
}
catch {}
// Imported after the priority is set: its load is most of this thread's work.
const engine = import('../transform/engine')

parentPort!.on('message', ({ seq, id, code, displayId }: AnalysisRequest) => void engine.then(({ analyzeModule }) => {
  if (displayId === undefined) {
    let shape: string | null | undefined
    try {
      shape = sourceShape(id, code) ?? null
    }
    catch {}
    return parentPort!.postMessage({ seq, shape } satisfies AnalysisReply)
  }
  let reply: AnalysisReply
  try {
    reply = { seq, analysis: analyzeModule(id, code, { displayId }) }
  }
  catch {
    // The dev server's thread analyses it again, to throw the error with its code frame itself.
    reply = { seq }
  }
  parentPort!.postMessage(reply)
}))
