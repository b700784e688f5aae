import type { RunningProcess } from '../helpers'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, startNode, viteBuild } from '../helpers'

// A call never ends the process: whatever a function throws, and whatever state it leaves the
// process in, its caller gets a 500 with a request id and the next call is answered.

const APP = join(import.meta.dirname, '../fixtures/crash-app')
const GROUPS = { crash: ['alive', 'breakStackTraces', 'breakStackTracesSync', 'throwUnreadable', 'throwProxy', 'strayErrors'] }

let dist: string
const running: RunningProcess[] = []

beforeAll(async () => {
  // One service for all of them: the broken Error.prepareStackTrace stays for the calls after.
  dist = await viteBuild(APP, 'dist', { groups: GROUPS })
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

async function start(env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = await startNode(join(dist, 'servers/crash.js'), { env })
  running.push(proc)
  return proc
}

async function expectInternalError(proc: RunningProcess, fn: string): Promise<void> {
  const answer = await post(`${proc.url}/femto/${fn}`, [])
  expect(answer.status, answer.text).toBe(500)
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
  const requestId = answer.headers.get('x-request-id')
  expect(requestId).toMatch(/\S/)
  expect(answer.body.error).toMatchObject({ code: 'INTERNAL_ERROR', requestId })
  // The next call is answered by the same process.
  expect(await post(`${proc.url}/femto/alive`, [])).toMatchObject({ status: 200, body: 'alive' })
  expect(proc.proc.exitCode).toBe(null)
  expect(proc.proc.signalCode).toBe(null)
  // The failure is in the log under its request id, as far as it can be read.
  await expect.poll(() => proc.output().includes(`${fn} threw (request ${requestId})`), { timeout: 10_000, interval: 10 }).toBe(true)
}

describe.each([
  ['production', {}],
  ['development', { NODE_ENV: 'development' }],
])('a service (%s) whose function throws what cannot be read', (_, env) => {
  let proc: RunningProcess
  beforeAll(async () => {
    proc = await start(env)
  })

  it('answers 500 to an Error thrown after Error.prepareStackTrace was made to throw, then serves on', async () => {
    await expectInternalError(proc, 'breakStackTraces')
    // Every later error of the process has a throwing stack now: still a 500.
    await expectInternalError(proc, 'breakStackTraces')
    await expectInternalError(proc, 'breakStackTracesSync')
    expect(proc.output()).toContain('a package has left a throwing Error.prepareStackTrace behind')
  })

  it('answers 500 to an object whose message, stack, code and name getters throw', async () => {
    await expectInternalError(proc, 'throwUnreadable')
  })

  it('answers 500 to a Proxy whose every trap throws', async () => {
    await expectInternalError(proc, 'throwProxy')
  })

  it('logs errors thrown outside any call, even with stack traces broken, and serves on', async () => {
    expect(await post(`${proc.url}/femto/strayErrors`, [])).toMatchObject({ status: 200, body: 'scheduled' })
    await expect.poll(() => proc.output(), { timeout: 10_000, interval: 10 }).toMatch(/uncaught exception[\s\S]*stray error in a timer/)
    await expect.poll(() => proc.output(), { timeout: 10_000, interval: 10 }).toMatch(/unhandled rejection[\s\S]*stray rejection/)
    expect(await post(`${proc.url}/femto/alive`, [])).toMatchObject({ status: 200, body: 'alive' })
    expect(proc.proc.exitCode).toBe(null)
  })

  it('answers unknown routes and health checks after all that', async () => {
    expect((await fetch(`${proc.url}/healthz`)).status).toBe(200)
    expect((await post(`${proc.url}/femto/nothing`, [])).status).toBe(404)
  })
})
