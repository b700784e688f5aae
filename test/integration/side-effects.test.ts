import type { RunningProcess } from '../helpers'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import esbuildTs from 'rollup-plugin-esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import femtoRollup from '../../src/rollup'
import { EVALUATED } from '../fixtures/side-effects-app/expected'
import { post, startNode, viteBuild } from '../helpers'

// Which modules a service loads must not depend on the bundler: under Vite every service comes
// from one shared build (design 0033), under the others each from its own transform (design 0006).
const APP = join(import.meta.dirname, '../fixtures/side-effects-app')
const CALLS: Record<string, unknown[]> = { order: ['7'], quote: ['7'], report: [], relay: [false] }
const SERVERS = { vite: join(APP, 'dist-vite/servers'), rollup: join(APP, 'dist-rollup/servers') }
const logs = mkdtempSync(join(tmpdir(), 'femto-side-effects-'))
const running: RunningProcess[] = []

beforeAll(async () => {
  await viteBuild(APP, 'dist-vite')
  rmSync(join(APP, 'dist-rollup'), { recursive: true, force: true })
  const bundle = await rollup({
    input: join(APP, 'src/main.ts'),
    plugins: [femtoRollup({ root: APP, summary: false }), nodeResolve({ browser: true, extensions: ['.ts', '.mjs', '.js'] }), esbuildTs({ target: 'es2022' })],
    onwarn: () => {},
  })
  await bundle.write({ dir: join(APP, 'dist-rollup/client'), format: 'es' })
  await bundle.close()
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
  rmSync(logs, { recursive: true, force: true })
})

/** What one service loaded as it started (before any call), and what its function says it loaded when called. */
async function evaluatedBy(bundler: keyof typeof SERVERS, name: string): Promise<{ atStart: string[], onCall: string[] }> {
  const log = join(logs, `${bundler}-${name}.log`)
  const service = await startNode(join(SERVERS[bundler], `${name}.js`), { env: { EVALUATED_LOG: log } })
  running.push(service)
  let atStart: string[] = []
  try {
    atStart = readFileSync(log, 'utf8').split('\n').filter(Boolean)
  }
  catch (error: any) {
    // Nothing of the fixture loaded: no line was written.
    if (error.code !== 'ENOENT')
      throw error
  }
  const answer = await post(`${service.url}/femto/${name}`, CALLS[name])
  expect(answer.status, answer.text).toBe(200)
  await service.stop()
  return { atStart: atStart.sort(), onCall: [...answer.body.evaluated].sort() }
}

describe.each(Object.keys(EVALUATED))('the service of %s', (name) => {
  it('loads, at start and on a call, what its own code reaches: the same under Vite and Rollup', async () => {
    const [vite, rollup] = await Promise.all([evaluatedBy('vite', name), evaluatedBy('rollup', name)])
    expect(rollup).toEqual({ atStart: EVALUATED[name], onCall: EVALUATED[name] })
    expect(vite).toEqual(rollup)
  })
})
