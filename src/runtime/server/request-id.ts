import type { IncomingMessage } from 'node:http'

const VALID_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

// Request ids only need to be unique, not secret: a random per-process prefix and a counter
// cost nothing per request, and spare every service the load of `node:crypto` at start-up.
const ID_PREFIX = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`
let idCounter = 0

/** The caller's `x-request-id` when it is a sane one, so that its logs and ours join up; else a new id. */
export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id']
  return typeof sent === 'string' && VALID_REQUEST_ID.test(sent) ? sent : `${ID_PREFIX}-${(++idCounter).toString(36)}`
}
