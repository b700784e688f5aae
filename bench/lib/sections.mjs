import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import { freePort, pinned, sendMany, startServer } from './processes.mjs'
import { summarize } from './stats.mjs'
import { loadTest } from './wrk.mjs'

/**
 * Throughput and latency of a pair (baseline, femto), measured in alternating rounds so that
 * drift of a noisy machine hits both alike.
 */
export async function throughput(pair, { rounds, seconds }) {
  const results = { baseline: [], femto: [] }
  for (const side of ['baseline', 'femto']) {
    const server = await startServer(pair[side].file, { args: pair[side].args, env: pair[side].env })
    await loadTest(`${server.url}/femto/add`, { seconds: Math.max(1, Math.round(seconds / 2)) }) // warm-up
    pair[side].server = server
  }
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 ? ['femto', 'baseline'] : ['baseline', 'femto']) {
      // CPU time the server spent per request: steadier than req/s on a machine with noisy neighbours.
      const before = cpuMs(pair[side].server.pid)
      const run = await loadTest(`${pair[side].server.url}/femto/add`, { seconds })
      results[side].push({ ...run, cpuUs: (cpuMs(pair[side].server.pid) - before) * 1000 / run.requests })
    }
  }
  await Promise.all(['baseline', 'femto'].map(side => pair[side].server.stop()))
  const pick = (side, key) => summarize(results[side].map(r => r[key]))
  return {
    rps: { baseline: pick('baseline', 'rps'), femto: pick('femto', 'rps') },
    p50: { baseline: pick('baseline', 'p50'), femto: pick('femto', 'p50') },
    p99: { baseline: pick('baseline', 'p99'), femto: pick('femto', 'p99') },
    cpuUs: { baseline: pick('baseline', 'cpuUs'), femto: pick('femto', 'cpuUs') },
  }
}

/** User + system CPU time of a process so far, in ms (from /proc, in clock ticks of 10 ms). */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Milliseconds from spawn to the first 200 answer. */
export async function coldStart(file, args = []) {
  const port = await freePort()
  const started = performance.now()
  const [command, argv] = pinned(0, process.execPath, [file, ...args])
  const proc = spawn(command, argv, { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' })
  const agent = new http.Agent({ keepAlive: false })
  try {
    while (true) {
      const status = await new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/femto/add', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode))
        })
        req.on('error', () => resolve(0))
        req.end('[2,3]')
      })
      if (status === 200)
        return performance.now() - started
      if (performance.now() - started > 10_000)
        throw new Error(`${file} did not answer within 10 s`)
      await new Promise(r => setImmediate(r))
    }
  }
  finally {
    proc.kill('SIGKILL')
  }
}

export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024
}

/** RSS after start, and after 10k requests. */
export async function memory(file, args = [], requests = 10_000) {
  const server = await startServer(file, { args })
  await sendMany(`${server.url}/femto/add`, '[2,3]', 1, 1)
  await new Promise(r => setTimeout(r, 300))
  const idle = rssMiB(server.pid)
  await sendMany(`${server.url}/femto/add`, '[2,3]', requests, 10)
  await new Promise(r => setTimeout(r, 300))
  const loaded = rssMiB(server.pid)
  await server.stop()
  return { idle, loaded }
}

/** Bytes of a bundle, and which modules take them (rolldown marks each module with a comment). */
export function bundleBytes(file) {
  const code = readFileSync(file, 'utf8')
  const modules = new Map()
  let current = '(entry and glue)'
  for (const line of code.split('\n')) {
    const marker = /^\/\/ (?:#region )?(\S+\.[cm]?[jt]sx?)$/.exec(line)
    if (marker)
      current = marker[1].replace(/^(?:\.\.\/)+/, '').replace(/^.*node_modules\//, 'node_modules/')
    modules.set(current, (modules.get(current) ?? 0) + Buffer.byteLength(line) + 1)
  }
  const top = [...modules.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6)
  return { ...textBytes(code), top }
}

/** Raw and gzip bytes (node:zlib, default level) of a text. */
export function textBytes(code) {
  return { raw: Buffer.byteLength(code), gzip: gzipSync(code).length }
}

/** Per-call cost of sequential calls, in microseconds, alternating blocks of A and B. */
export async function sequentialCalls(a, b, { calls, block = 250 }) {
  for (let i = 0; i < 200; i++) {
    await a()
    await b()
  }
  const times = { a: [], b: [] }
  for (let done = 0; done < calls; done += block) {
    for (const [key, fn] of done % (2 * block) ? [['b', b], ['a', a]] : [['a', a], ['b', b]]) {
      for (let i = 0; i < block; i++) {
        const start = performance.now()
        await fn()
        times[key].push((performance.now() - start) * 1000)
      }
    }
  }
  return { a: summarize(times.a), b: summarize(times.b) }
}

/** Wall time of a whole `vite build` process, in ms. */
export function viteBuildTime(viteBin, root, env = {}) {
  const started = performance.now()
  execFileSync(process.execPath, [viteBin, 'build', root, '--logLevel', 'error'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } })
  return performance.now() - started
}

export const files = { join }
