#!/usr/bin/env node
import process from 'node:process'
import { parseArgs } from 'node:util'
import { up } from '../up/up'

const USAGE = `Usage:
  femto up [outDir] [--port N] [--free-ports] [--app "<command>"]
      Run every service of a build (default outDir: dist) and a gateway on --port (default 3000)
      that serves the client build and routes {basePath}/{name} to each service.
      --free-ports gives each service a free port instead of its manifest port.
      --app runs a framework's server (e.g. "node build/index.js") with PORT, FEMTO_URL_* and
      FEMTO_TOKEN set, in the gateway's place.
  femto deploy [outDir] [--changed] [--registry R] [--namespace N] [--host H]
      Write <outDir>/deploy/ from the build's femto.json: a Dockerfile per service, the gateway,
      docker-compose.yml and Kubernetes manifests (k8s/, apply with kubectl apply -k).
      Unchanged services' files come out byte for byte the same, so Compose and kubectl replace only
      what changed. --changed is deprecated and changes nothing.
`

/** The flags each command takes; parseArgs knows only the union. */
const FLAGS: Record<string, string[]> = {
  up: ['port', 'free-ports', 'app'],
  deploy: ['changed', 'registry', 'namespace', 'host'],
}

/** parseArgs's own message, on one line, with the usage (it suggests `--` for a typo). */
function parsed(argv: string[]): ReturnType<typeof parseOptions> {
  try {
    return parseOptions(argv)
  }
  catch (error) {
    const option = /'(-[^']*)'/.exec((error as Error).message)?.[1]
    const what = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? `unknown option ${option}` : (error as Error).message.split('. ')[0]
    throw new Error(`${what}\n\n${USAGE}`)
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'port': { type: 'string', short: 'p' },
      'free-ports': { type: 'boolean' },
      'app': { type: 'string' },
      'changed': { type: 'boolean' },
      'registry': { type: 'string' },
      'namespace': { type: 'string' },
      'host': { type: 'string' },
      'help': { type: 'boolean', short: 'h' },
    },
  })
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parsed(argv)
  const [command, outDir = 'dist'] = positionals
  if (values.help || !command) {
    process.stdout.write(USAGE)
    return
  }
  const stray = Object.keys(values).filter(flag => flag !== 'help' && !FLAGS[command]?.includes(flag))
  if (FLAGS[command] && stray.length > 0)
    throw new Error(`${command} does not take --${stray.join(', --')}\n\n${USAGE}`)
  if (command === 'deploy') {
    const { deployCommand } = await import('./deploy')
    return deployCommand({ outDir, changed: values.changed, registry: values.registry, namespace: values.namespace, host: values.host })
  }
  if (command !== 'up')
    throw new Error(`unknown command '${command}'\n\n${USAGE}`)
  const port = values.port === undefined ? 3000 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: '${values.port}' is not a port number`)
  // Any signal that ends a terminal session or a supervisor's stop stops the services, from the
  // first moment (one that comes while they start stops those started so far). A second signal
  // exits at once: the services, already told to stop, finish their calls on their own (bounded).
  const stopping = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping.signal.aborted)
        process.exit(1)
      stopping.abort(signal)
    })
  }
  const running = await up({ outDir, port, freePorts: values['free-ports'], app: values.app, signal: stopping.signal })
  const exit = (): void => void running.close().then(() => process.exit(0))
  if (stopping.signal.aborted)
    return exit()
  stopping.signal.addEventListener('abort', exit, { once: true })
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`femto: ${error.message}\n`)
  process.exit(1)
})
