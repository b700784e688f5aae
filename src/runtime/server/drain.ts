import type { Server } from 'node:http'

/** From now on each answer closes its connection (`connection: close`): the caller's next call opens a new one, elsewhere. */
export function closeAfterEachAnswer(server: Server): void {
  server.prependListener('request', (_req, res) => {
    res.shouldKeepAlive = false
  })
}

/**
 * Stops taking connections, but leaves the kept-alive ones to their callers: `done` runs once
 * the last one is gone. `server.close()` would also close the idle ones at once, and a caller
 * sending a call on one at that moment loses it without knowing whether it ran, so a call that
 * must not run twice cannot be sent again (a Compose roll showed it). A call on one now is
 * answered (and closes it, once the server has called closeAfterEachAnswer); an idle one is
 * closed by its caller, which lets go of it before the keep-alive timeout the server announces
 * (IDLE_CONNECTION_MS), or else by that timeout, as on any other day.
 * Callers close the listeners through afterQueuedConnections, not at once.
 */
export function stopAccepting(server: Server, done: () => void): void {
  // Loaded here, not with the service: an import of `node:net` at start loads more of Node's
  // modules than `node:http` does (its ESM facade reads every export), ~1 ms of each cold start.
  process.getBuiltinModule('node:net').Server.prototype.close.call(server, () => done())
}

/** A bound on the loop iterations afterQueuedConnections waits, for a queue that never empties. */
const MAX_ROUNDS = 1_000

/**
 * Runs `close` (of the server's listeners) once the event loop has taken the connections already
 * waiting for them. The kernel completes a connection before the process accepts it, and a caller
 * writes its call at once; closing a listening socket resets every connection still in its queue.
 * Those calls never ran, but their callers only see a reset after sending, as when a process dies
 * mid-call, so one that must not run twice cannot be sent again. A process busy or paused while a
 * signal and connections came (a Compose roll on a loaded machine) closed its listener with them
 * still queued: 7 to 9 of 10 such calls were reset (test/integration/gateway.test.ts).
 * Node accepts one connection per loop iteration, so this waits, an immediate at a time, for an
 * iteration that accepted none; the accepted calls are answered, each closing its connection.
 */
export function afterQueuedConnections(server: Server, close: () => void): void {
  let accepted = 0
  const count = (): void => void accepted++
  server.on('connection', count)
  let rounds = 0
  const next = (before: number): void => {
    // Each immediate runs after a poll phase: one that accepted nothing left nothing queued.
    if ((rounds++ > 0 && accepted === before) || rounds > MAX_ROUNDS) {
      server.off('connection', count)
      return close()
    }
    setImmediate(next, accepted)
  }
  setImmediate(next, accepted)
}
