import { SERVICE_KEEP_ALIVE_MS } from '../shared/protocol'

/**
 * Failures that surely happened before the call reached the function: the connection was never
 * made, so no byte of the request left. Retrying such a call cannot run the function twice.
 */

/** The error code of a connect timeout of our own (see CONNECT_TIMEOUT_MS). */
export const CONNECT_TIMEOUT_CODE = 'FEMTO_CONNECT_TIMEOUT'

/**
 * How long a new connection may take to open before the attempt is given up as not reached.
 * Short, because giving up costs nothing: the call is tried again on a new connection, and the
 * next DNS lookup may find the replacement of a container whose old address no longer answers.
 */
export const CONNECT_TIMEOUT_MS = 1_000

const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  // The service's name does not resolve (yet): Compose's DNS while it recreates the container.
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // undici's (Node's fetch) connect timeout, and ours.
  'UND_ERR_CONNECT_TIMEOUT',
  CONNECT_TIMEOUT_CODE,
])

/** Node's error of a connection that never opened, also when wrapped (`fetch`'s TypeError has it as `cause`). */
export function neverReached(error: unknown): boolean {
  for (let e = error as { code?: unknown, syscall?: unknown, cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (CONNECT_FAILURES.has(e.code as string) || e.syscall === 'connect' || e.syscall === 'getaddrinfo')
      return true
  }
  return false
}

const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

/**
 * A connection that broke before the answer was complete (reset, closed under the request): the
 * request may or may not have reached the function. Also when wrapped, as by `fetch`.
 */
export function isBrokenConnection(error: unknown): boolean {
  for (let e = error as { code?: unknown, cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (BROKEN.has(e.code as string))
      return true
  }
  return false
}

interface Connecting { connecting: boolean, destroy: (error: Error) => void, once: (event: 'connect' | 'close', listener: () => void) => unknown }

/**
 * A new connection that does not open within CONNECT_TIMEOUT_MS fails its request as not
 * reached, to be tried again on a new connection (the system's own connect timeout is minutes,
 * and a replaced container's old address may never answer).
 */
function watchConnect(socket: Connecting): void {
  const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`the connection did not open within ${CONNECT_TIMEOUT_MS} ms`), { code: CONNECT_TIMEOUT_CODE })), CONNECT_TIMEOUT_MS)
  const done = (): void => clearTimeout(timer)
  socket.once('connect', done)
  socket.once('close', done)
}

/**
 * A `node:http(s)` agent whose new connections time out (see watchConnect): the watch costs
 * nothing per request, only per connection the agent opens.
 */
export function withConnectTimeout<A extends { createConnection: (...args: any[]) => unknown }>(agent: A): A {
  const create = agent.createConnection
  agent.createConnection = function (this: A, ...args: any[]) {
    const socket = create.apply(this, args) as Connecting
    watchConnect(socket)
    return socket
  } as A['createConnection']
  return agent
}

/**
 * How long a client keeps an idle kept-alive connection: a second under what a service (and Node's
 * servers) announce in `keep-alive: timeout=5`, so that the client, not the service, closes it.
 * A service that closes an idle connection as a call goes out on it loses that call, and the
 * caller cannot tell whether it ran. Node 20's agent reads the announced timeout only when given
 * one of its own (its `timeout`), which is why every kept-alive agent of ours has one.
 */
export const IDLE_CONNECTION_MS = SERVICE_KEEP_ALIVE_MS - 1_000

interface Sockets { freeSockets: Record<string, Array<{ destroy: () => void }> | undefined> }

/** How each kept-alive client of this process lets go of its idle connections. */
const letGoers = new Set<() => void>()

/** A kept-alive agent (`node:http`'s or `node:https`'s) that closes idle connections first and times out connecting. */
export function keptAliveAgent<A extends Sockets & { createConnection: (...args: any[]) => unknown }>(Agent: new (options: { keepAlive: boolean, timeout: number }) => A): A {
  const agent = withConnectTimeout(new Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }))
  letGoOfIdleConnectionsToo(() => {
    for (const sockets of Object.values(agent.freeSockets)) {
      for (const socket of sockets ?? [])
        socket.destroy()
    }
  })
  return agent
}

/** A client of another kind (the gateway's undici agent, up/proxy.ts) whose idle connections letGoOfIdleConnections closes too. */
export function letGoOfIdleConnectionsToo(letGo: () => void): void {
  letGoers.add(letGo)
}

/**
 * Closes the idle connections of every kept-alive client of this process: a stopping process lets
 * go of the services it called, which wait for their callers to do so before they exit (drain.ts).
 * Always safe from this side: no call is on an idle connection.
 */
export function letGoOfIdleConnections(): void {
  for (const letGo of letGoers)
    letGo()
}

/** First wait before a call that did not reach its function is tried again; each wait grows by half, up to NOT_REACHED_MAX_MS. */
export const NOT_REACHED_FIRST_MS = 50
export const NOT_REACHED_MAX_MS = 500

/** How long a call that keeps not reaching its function is held when the function has no `timeoutMs`. */
export const NOT_REACHED_DEADLINE_MS = 10_000

/**
 * The wait before transparent try `n` (1-based): 50 ms growing by half to 500 ms, jittered
 * between half and all of it, so callers held by one restart spread out without waiting long.
 */
export function notReachedWait(n: number): number {
  const bound = Math.min(NOT_REACHED_MAX_MS, NOT_REACHED_FIRST_MS * 1.5 ** (n - 1))
  return Math.round(bound / 2 + Math.random() * bound / 2)
}
