import { femtoRuntimeEnv } from './env'

/**
 * How a service started by `femto up` or the testing helper (spawned with an IPC channel) talks
 * to its parent: it listens where it is told (`PORT=0`: wherever the OS gives it a port), reports
 * the port it got, and takes the addresses of the other services, known only once they all have
 * reported theirs. A service started any other way has no channel and none of this happens.
 */
export const LISTENING_MESSAGE = 'femto:listening'
export const PEERS_MESSAGE = 'femto:peers'
export const PEERS_SET_MESSAGE = 'femto:peers-set'
export const CANNOT_LISTEN_MESSAGE = 'femto:cannot-listen'
/**
 * Sent when a stopping service has closed its listeners: its port is free for the process that
 * replaces it, while it finishes its calls and waits for its callers to let go of their idle
 * connections (drain.ts), which may take them seconds.
 */
export const STOPPED_LISTENING_MESSAGE = 'femto:stopped-listening'

export interface ListeningMessage {
  type: typeof LISTENING_MESSAGE
  port: number
  pid: number
  /** The Unix socket it also listens on, when its parent asked for one (local-socket.ts). */
  socket?: string
}
/** Sent instead, just before the service exits 1: its port, the error's code, and its one line. */
export interface CannotListenMessage { type: typeof CANNOT_LISTEN_MESSAGE, port: number, code: string, line: string }
/** `FEMTO_URL_<NAME>` of the other services; what the parent was given for them already wins. */
export interface PeersMessage { type: typeof PEERS_MESSAGE, env: Record<string, string> }

export function reportListening(port: number, socket?: string): void {
  const send = process.send?.bind(process)
  if (!send)
    return
  process.on('message', (message: Partial<PeersMessage>) => {
    if (message?.type !== PEERS_MESSAGE || !message.env)
      return
    Object.assign(femtoRuntimeEnv, message.env)
    send({ type: PEERS_SET_MESSAGE })
  })
  send({ type: LISTENING_MESSAGE, port, pid: process.pid, socket } satisfies ListeningMessage)
  // The channel does not keep the service alive: its listener does, as without one.
  process.channel?.unref()
}

/** Tells the parent, if there is one still, that the port is free (STOPPED_LISTENING_MESSAGE). */
export function reportStoppedListening(): void {
  if (process.send && process.connected)
    process.send({ type: STOPPED_LISTENING_MESSAGE })
}

/**
 * A service that cannot do its job ends with one line on stderr and exit code 1; its parent, if
 * it has one, gets the reason on the channel first, so that it can say it in its own words.
 */
export function exitCannotListen(port: number, code: string, line: string): void {
  console.error(line)
  process.exitCode = 1
  if (!process.send || !process.connected)
    return void process.exit(1)
  // The exit waits for the message to be written, but not for a parent that does not read it.
  setTimeout(() => process.exit(1), 1_000).unref()
  process.send({ type: CANNOT_LISTEN_MESSAGE, port, code, line } satisfies CannotListenMessage, () => process.exit(1))
}

/**
 * A service started with a channel stops when its parent goes, however it went: the kernel closes
 * the parent's end of the channel even on SIGKILL, so `disconnect` comes without any polling, and
 * no service of a killed `femto up` keeps its port. (The parent never disconnects on purpose.)
 */
export function stopWithParent(stop: () => void): void {
  if (!process.send)
    return
  if (!process.connected)
    return stop()
  process.once('disconnect', stop)
}
