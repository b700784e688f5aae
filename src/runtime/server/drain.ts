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
 */
export function stopAccepting(server: Server, done: () => void): void {
  // Loaded here, not with the service: an import of `node:net` at start loads more of Node's
  // modules than `node:http` does (its ESM facade reads every export), ~1 ms of each cold start.
  process.getBuiltinModule('node:net').Server.prototype.close.call(server, () => done())
}
