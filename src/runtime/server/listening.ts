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

export interface ListeningMessage { type: typeof LISTENING_MESSAGE, port: number }
/** `FEMTO_URL_<NAME>` of the other services; what the parent was given for them already wins. */
export interface PeersMessage { type: typeof PEERS_MESSAGE, env: Record<string, string> }

export function reportListening(port: number): void {
  const send = process.send?.bind(process)
  if (!send)
    return
  process.on('message', (message: Partial<PeersMessage>) => {
    if (message?.type !== PEERS_MESSAGE || !message.env)
      return
    Object.assign(femtoRuntimeEnv, message.env)
    send({ type: PEERS_SET_MESSAGE })
  })
  send({ type: LISTENING_MESSAGE, port } satisfies ListeningMessage)
  // The channel does not keep the service alive: its listener does, as without one.
  process.channel?.unref()
}
