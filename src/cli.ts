#!/usr/bin/env node
import process from 'node:process'
import { parseArgs } from 'node:util'
import { up } from './up/up'

const USAGE = `Usage:
  femto up [outDir] [--port N] [--free-ports]
      Run every service of a build (default outDir: dist) and a gateway on --port (default 3000)
      that serves the client build and routes {basePath}/{name} to each service.
      --free-ports gives each service a free port instead of its manifest port.
`

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'port': { type: 'string', short: 'p' },
      'free-ports': { type: 'boolean' },
      'help': { type: 'boolean', short: 'h' },
    },
  })
  const [command, outDir = 'dist'] = positionals
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return
  }
  if (command !== 'up')
    throw new Error(`unknown command '${command}'\n\n${USAGE}`)
  const port = values.port === undefined ? 3000 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: '${values.port}' is not a port number`)
  const running = await up({ outDir, port, freePorts: values['free-ports'] })
  const stop = (): void => {
    void running.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`femto: ${error.message}\n`)
  process.exit(1)
})
