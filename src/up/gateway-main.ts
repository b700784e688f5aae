import process from 'node:process'
import { letGoOfIdleConnections } from '../runtime/client/not-reached'
import { afterQueuedConnections, closeAfterEachAnswer, stopAccepting } from '../runtime/server/drain'
import { createGateway } from './gateway'
import { gatewayConfig, GatewayConfigError } from './gateway-config'

// `node gateway.js`: the femto up gateway on its own, for a deploy (Compose) that runs each
// service in its own container. Its environment is its whole configuration (gateway-config.ts).

/** How long a stopping gateway lets calls under way finish before it exits anyway. */
const STOP_GRACE_MS = 10_000

function main(): void {
  let config
  try {
    config = gatewayConfig(process.env, process.cwd())
  }
  catch (error) {
    if (!(error instanceof GatewayConfigError))
      throw error
    console.error(error.message)
    process.exit(1)
  }
  const server = createGateway(config.gateway)
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE'
      ? `femto gateway: port ${config.port} (PORT) is taken by another process; set PORT to a free one`
      : `femto gateway: cannot listen on ${config.host}:${config.port}: ${error.message}`)
    process.exit(1)
  })
  server.listen(config.port, config.host, () => {
    const address = server.address()
    const port = typeof address === 'object' && address ? address.port : config.port
    console.log(`femto gateway listening on http://${config.host}:${port} (${config.gateway.routes.size} function(s)${config.gateway.staticDir ? `, files from ${config.gateway.staticDir}` : ''})`)
  })
  const stop = (signal: NodeJS.Signals): void => {
    console.log(`femto gateway: ${signal}, stopping`)
    // As a service does (drain.ts): a call on a kept-alive connection is answered, not cut off.
    closeAfterEachAnswer(server)
    afterQueuedConnections(server, () => stopAccepting(server, () => process.exit(0)))
    letGoOfIdleConnections()
    setTimeout(() => process.exit(0), STOP_GRACE_MS).unref()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}

main()
