import type { Server as HttpServer } from 'node:http'
import type { Server as NetServer } from 'node:net'

/**
 * The variable femto up starts its services with: a folder of its own, where each service also
 * listens on a Unix socket named for its port, and femto up's gateway reaches it there. A hop
 * over a Unix socket costs both sides less of the kernel than one over loopback TCP (design 0050).
 */
export const LOCAL_SOCKET_DIR_ENV = 'FEMTO_UP_SOCKET_DIR'

/**
 * Also takes `server`'s calls on `<dir>/<port>.sock`. The connections are handed to the HTTP
 * server, so its timeouts, keep-alive and `closeAllConnections` hold for them as for TCP ones.
 * `done` gets the socket's path, or no path when it cannot listen there (the gateway then uses
 * the port). A file left at that path by a killed process of this port is removed first: no
 * live one can hold it, since this process holds the port.
 */
export function listenLocalSocket(server: HttpServer, dir: string, port: number, done: (path: string | undefined, listener: NetServer | undefined) => void): void {
  const net = process.getBuiltinModule('node:net')
  const path = `${dir}/${port}.sock`
  try {
    process.getBuiltinModule('node:fs').rmSync(path, { force: true })
  }
  catch {}
  const listener = net.createServer(socket => server.emit('connection', socket))
  let listening = false
  // An error once it listens is one connection it could not accept (out of file descriptors),
  // as on the port's listener: a line, not an exit, and not a second report.
  listener.on('error', (error) => {
    if (listening)
      return console.warn(`[femto] ${path}: ${error.message}`)
    console.warn(`[femto] cannot listen on ${path} (${error.message}); femto up's gateway calls on the port instead`)
    done(undefined, undefined)
  })
  listener.listen(path, () => {
    listening = true
    done(path, listener)
  })
}
