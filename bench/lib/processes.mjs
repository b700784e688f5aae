import { spawn } from 'node:child_process'
import http from 'node:http'
import { createServer } from 'node:net'

/** Pins a command to one core, so the server and the load generator do not share one. */
export function pinned(core, command, args) {
  return ['taskset', ['-c', String(core), command, ...args]]
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Starts a server program on `core` (null: not pinned) and a free port; resolves once it printed its address. */
export async function startServer(file, { core = 0, args = [], env = {} } = {}) {
  const port = await freePort()
  const [command, argv] = core === null ? [process.execPath, [file, ...args]] : pinned(core, process.execPath, [file, ...args])
  const proc = spawn(command, argv, { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (c) => {
    output += c
  }
  proc.stdout.on('data', collect)
  proc.stderr.on('data', collect)
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), 15_000)
    proc.stdout.on('data', () => {
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
    proc.once('exit', code => reject(new Error(`${file} exited with ${code}: ${output}`)))
  })
  // Request logs under load would pile up here: keep draining the pipes, stop keeping what comes.
  proc.stdout.off('data', collect)
  proc.stderr.off('data', collect)
  proc.stdout.resume()
  proc.stderr.resume()
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid,
    proc,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null)
        return resolve()
      proc.once('exit', () => resolve())
      proc.kill('SIGKILL')
    }),
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

/** One POST on a keep-alive connection; resolves with the status code. */
export function postOnce(url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Sends `total` requests, `concurrency` at a time. */
export async function sendMany(url, body, total, concurrency = 10) {
  let sent = 0
  const worker = async () => {
    while (sent < total) {
      sent++
      const status = await postOnce(url, body)
      if (status !== 200)
        throw new Error(`${url} answered ${status}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}
