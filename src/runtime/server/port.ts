import { femtoRuntimeEnv } from './env'

/**
 * Where a service listens, and where that came from: a service that cannot listen says which
 * setting to change, because the person reading the line did not necessarily set it (a manifest
 * port nobody chose by hand, a `PORT` set by an image or by `femto up`).
 */
export interface ListenAddress {
  port: number
  host: string
  /** Where the port came from, as the reader can find it: `PORT=7901`, or femto.json. */
  portFrom: string
  /** How to listen elsewhere. */
  change: string
}

/** The address from `PORT` and `HOST`, else the manifest's port on every interface; a `PORT` that is no port is a one-line `Error`. */
export function listenAddress(service: string, manifestPort: number): ListenAddress {
  const raw = femtoRuntimeEnv.PORT
  const host = femtoRuntimeEnv.HOST || '0.0.0.0'
  if (!raw) {
    return {
      port: manifestPort,
      host,
      portFrom: `femto.json (${service}'s port, from the basePort option and a hash of its name)`,
      change: 'set PORT to another port (PORT=0: any free one), or change basePort and rebuild',
    }
  }
  const port = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || port > 65535)
    throw new Error(`[femto] ${service} cannot start: PORT='${raw}' is not a port number (0-65535); set PORT to one (PORT=0: any free one), or unset it to listen on the manifest port ${manifestPort}`)
  return { port, host, portFrom: `PORT=${raw}`, change: 'set PORT to another port (PORT=0: any free one)' }
}

/** The one line for a listener that failed: what is wrong with the address, where it came from, what to change. */
export function cannotListenLine(service: string, address: ListenAddress, error: NodeJS.ErrnoException): string {
  const where = `${address.host}:${address.port}`
  const port = `The port came from ${address.portFrom}; ${address.change}.`
  switch (error.code) {
    case 'EADDRINUSE':
      return `[femto] ${service} cannot listen on ${where}: another process already listens on that port (EADDRINUSE). ${port}`
    case 'EACCES':
      return `[femto] ${service} cannot listen on ${where}: not allowed to (EACCES; ports below 1024 need privileges). ${port}`
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `[femto] ${service} cannot listen on ${where}: HOST=${address.host} is not an address of this machine (${error.code}); set HOST to one of its addresses, or unset it for 0.0.0.0`
    default:
      return `[femto] ${service} cannot listen on ${where}: ${error.message}. ${port}`
  }
}
