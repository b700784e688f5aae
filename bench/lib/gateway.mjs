import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { startServer } from './processes.mjs'
import { cpuMs } from './sections.mjs'
import { summarize } from './stats.mjs'
import { loadTest } from './wrk.mjs'

/**
 * `femto up <outDir>` with its gateway on a free port and every service on a free one, request
 * logs on as a user gets them (the default level, pretty lines merged into femto up's output);
 * resolves once it printed the gateway's address and the `service`'s own.
 */
export async function startUp(cli, outDir, service, env = {}) {
  // The services of femto up take calls with its token only (the gateway adds it): known here, for the direct calls.
  const token = randomBytes(16).toString('hex')
  const proc = spawn(process.execPath, [cli, 'up', outDir, '--port', '0', '--free-ports'], { env: { ...process.env, FEMTO_TOKEN: token, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  const collect = (chunk) => {
    output += chunk
  }
  proc.stdout.on('data', collect)
  proc.stderr.on('data', collect)
  const urls = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`femto up did not start within 30 s: ${output}`)), 30_000)
    proc.stdout.on('data', () => {
      const gateway = /gateway at (http:\/\/\S+)/.exec(output)?.[1]
      const own = new RegExp(`\\b${service} listening on (http://\\S+)`).exec(output)?.[1]
      if (gateway && own) {
        clearTimeout(timer)
        resolve({ gateway: gateway.replace('localhost', '127.0.0.1'), direct: own })
      }
    })
    proc.once('exit', code => reject(new Error(`femto up exited with ${code}: ${output}`)))
  })
  // Every request's log line comes through here under load: drain the pipes, keep nothing.
  proc.stdout.off('data', collect)
  proc.stderr.off('data', collect)
  proc.stdout.resume()
  proc.stderr.resume()
  // The service's process, a child of femto up's: its CPU apart from the gateway's.
  const children = readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
  const servicePid = children.find(pid => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`/${service}.js`))
  // Where the gateway reaches the service: its Unix socket in femto up's folder, named for its port (local-socket.ts).
  const socketDir = readFileSync(`/proc/${servicePid}/environ`, 'utf8').split('\0').find(entry => entry.startsWith('FEMTO_UP_SOCKET_DIR='))?.slice('FEMTO_UP_SOCKET_DIR='.length)
  return {
    ...urls,
    socket: socketDir && `${socketDir}/${new URL(urls.direct).port}.sock`,
    token,
    servicePid,
    pid: proc.pid,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null)
        return resolve()
      proc.once('exit', () => resolve())
      // Its services too: femto up stops them on SIGTERM, the process group goes if it does not.
      proc.kill('SIGTERM')
      setTimeout(() => {
        try {
          process.kill(-proc.pid, 'SIGKILL')
        }
        catch {}
      }, 15_000).unref()
    }),
  }
}

const SIDES = ['direct', 'gateway', 'proxy']

/**
 * The same service called directly on its own port, through femto up's gateway, and through a
 * plain proxy to compare with (`proxy`: baselines/proxy.mjs), wrk with 50
 * connections on core 1 (femto up, its gateway, its services and the proxy are not pinned: a
 * proxy hop on the machine's cores), in rounds that rotate the order.
 */
export async function gatewayThroughput({ cli, outDir, service, route, env, proxy }, { rounds, seconds }) {
  const up = await startUp(cli, outDir, service, env)
  const results = { direct: [], gateway: [], proxy: [] }
  let plain
  try {
    plain = await startServer(proxy, { core: null, env: { TARGET: up.direct, SOCKET: up.socket ?? '', TOKEN: up.token } })
    const urls = { ...up, proxy: plain.url }
    const headers = { direct: { Authorization: `Bearer ${up.token}` }, gateway: undefined, proxy: undefined }
    for (const side of SIDES)
      await loadTest(`${urls[side]}${route}`, { seconds: Math.max(1, Math.round(seconds / 2)), headers: headers[side] }) // warm-up
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < SIDES.length; i++) {
        const side = SIDES[(i + round) % SIDES.length]
        // CPU per request of the hop's process (femto up's: its gateway and the merged log) and of the service.
        const hopPid = side === 'proxy' ? plain.pid : up.pid
        const before = { hop: cpuMs(hopPid), service: cpuMs(up.servicePid) }
        const run = await loadTest(`${urls[side]}${route}`, { seconds, headers: headers[side] })
        results[side].push({ ...run, upUs: (cpuMs(hopPid) - before.hop) * 1000 / run.requests, serviceUs: (cpuMs(up.servicePid) - before.service) * 1000 / run.requests })
      }
    }
  }
  finally {
    await plain?.stop()
    await up.stop()
  }
  const pick = (side, key) => summarize(results[side].map(r => r[key]))
  return Object.fromEntries(SIDES.map(side => [side, { rps: pick(side, 'rps'), p50: pick(side, 'p50'), p99: pick(side, 'p99'), upUs: pick(side, 'upUs'), serviceUs: pick(side, 'serviceUs') }]))
}
