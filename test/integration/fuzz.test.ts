import type { RunningProcess } from '../helpers'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error plain ESM JavaScript without declarations, shared with the CLI (bench/fuzz.mjs); typed below
import { fuzzService as untypedFuzzService } from '../../bench/lib/fuzz.mjs'
import { startNode, viteBuild } from '../helpers'

interface FuzzResult {
  sent: number
  byStatus: Record<string, number>
  networkErrors: number
  networkErrorSamples: Array<{ index: number, request: string, error: string }>
  closedEarly: number
  fiveXx: Array<{ index: number, request: string, status: number, body: string }>
  unexpected: Array<{ index: number, request: string, problem: string }>
  hung: Array<{ index: number, request: string }>
  seed: number
  ms: number
  after: { healthy: boolean, health: { status: number, body: string }, metrics: { status: number }, routes: Record<string, { status: number, value: unknown }> }
  byCategory: Record<string, { sent: number, ms: number }>
}
const fuzzService: (options: { url: string, requests: number, seed?: number, concurrency?: number, routes: Record<string, unknown[]> }) => Promise<FuzzResult> = untypedFuzzService

const APP = join(import.meta.dirname, '../fixtures/app')
// Fixed, so a failure replays: `generateCase(SEED, index, routes)` rebuilds any single request.
const SEED = 0x5EED_F00D
const REQUESTS = 10_000

/** Each service under fuzz: its route, good arguments and what they must answer, before and after. */
const SERVICES = {
  add: { route: '/femto/add', args: [2, 3], expected: 5 },
  checkStock: { route: '/femto/checkStock', args: ['s1', 'a', 'b'], expected: { sku: 's1', extra: ['a', 'b'], ok: true } },
} as const

let dist: string
const running: Record<string, RunningProcess> = {}

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist-fuzz')
  for (const name of Object.keys(SERVICES))
    running[name] = await startNode(join(dist, 'servers', `${name}.js`))
})

afterAll(async () => {
  await Promise.all(Object.values(running).map(p => p.stop('SIGKILL')))
})

describe('fuzz: hostile input against running services', () => {
  it(`answers ${REQUESTS} malformed requests per service with no 5xx, no crash, and stays correct`, async () => {
    const results = await Promise.all(Object.entries(SERVICES).map(async ([name, s]) => {
      const result = await fuzzService({ url: running[name]!.url, requests: REQUESTS, seed: SEED, routes: { [s.route]: [...s.args] } })
      return { name, s, result }
    }))
    for (const { name, s, result } of results) {
      const proc = running[name]!
      const context = `${name} (seed ${result.seed}):\n${JSON.stringify({ ...result, fiveXx: result.fiveXx.slice(0, 10), unexpected: result.unexpected.slice(0, 10) }, null, 2)}\n--- service output (tail) ---\n${proc.output().slice(-4000)}`
      // Still running: no crash, no exit.
      expect(proc.proc.exitCode, context).toBeNull()
      expect(proc.proc.signalCode, context).toBeNull()
      expect(result.sent, context).toBe(REQUESTS)
      expect(result.fiveXx, context).toEqual([])
      expect(result.hung, context).toEqual([])
      expect(result.unexpected, context).toEqual([])
      // Healthy and correct afterwards.
      expect(result.after.health.status, context).toBe(200)
      expect(result.after.metrics.status, context).toBe(200)
      expect(result.after.routes[s.route], context).toEqual({ status: 200, value: s.expected })
      // The mix really reached every kind of refusal (and the function itself), so the run cannot pass by sending nothing.
      for (const status of ['200', '400', '404', '405', '409', '413', '415', '431'])
        expect(result.byStatus[status] ?? 0, `${name}: no ${status} answers\n${context}`).toBeGreaterThan(0)
      const answered = Object.values(result.byStatus).reduce((a, b) => a + b, 0)
      expect(answered, context).toBeGreaterThan(REQUESTS * 0.9)
    }
  }, 120_000)
})
