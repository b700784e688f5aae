import type { RunningProcess } from '../helpers'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { callFemto, configureFemto } from '../../src/runtime'
import { freePort, post, startNode, viteBuild } from '../helpers'

// A callee that is not there yet (a restart) and comes up while calls wait for it: the stubs
// hold those calls without spending `retries` or opening the breaker. A call that may have
// reached its function is never run twice. Real services of a fixture build, on OS ports.

const APP = join(import.meta.dirname, '../fixtures/restart-app')

let dist: string
const running: RunningProcess[] = []

async function start(name: string, env: Record<string, string> = {}): Promise<RunningProcess> {
  const proc = await startNode(join(dist, 'servers', `${name}.js`), { env })
  running.push(proc)
  return proc
}

function newLedger(): { file: string, runs: (line: string) => number } {
  const file = join(mkdtempSync(join(tmpdir(), 'femto-ledger-')), 'ledger.txt')
  writeFileSync(file, '')
  return { file, runs: line => readFileSync(file, 'utf8').split('\n').filter(l => l === line).length }
}

function waitFor(check: () => boolean, what: string): Promise<void> {
  return expect.poll(check, { timeout: 10_000, interval: 10, message: `waiting for ${what}` }).toBe(true)
}

beforeAll(async () => {
  dist = await viteBuild(APP, 'dist')
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('a callee that is not listening yet', () => {
  it('service stub: calls wait for it and succeed, with retries: 0, and its breaker stays closed', async () => {
    const ledger = newLedger()
    const port = await freePort()
    const relay = await start('relayEcho', { FEMTO_URL_ECHO: `http://127.0.0.1:${port}` })
    // More calls at once than breakerFailures (5): refused, each would have opened the breaker.
    const calls = Array.from({ length: 8 }, (_, i) => post(`${relay.url}/femto/relayEcho`, [`early${i}`]))
    await waitFor(() => /\[femto\] echo: not reached \(.*ECONNREFUSED.*\); trying again for up to 10000 ms/.test(relay.output()), 'a held call')
    await start('echo', { LEDGER_FILE: ledger.file, PORT: String(port) })
    const answers = await Promise.all(calls)
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, answer.text).toBe(200)
      expect(answer.body).toBe(`echo:early${i}`)
      expect(ledger.runs(`echo early${i}`)).toBe(1)
    }
    expect(relay.output()).not.toMatch(/circuit breaker|retry \d+ of/)
    expect((await post(`${relay.url}/femto/relayEcho`, ['after'])).body).toBe('echo:after')
    // The held tries are attempts on the wire, counted as such in the caller's metrics.
    expect(await (await fetch(`${relay.url}/metrics`)).text()).toMatch(/femto_calls_total\{[^}]*target="echo"[^}]*outcome="ok"[^}]*\} 9/)
  })

  it('browser stub (fetch): the same', async () => {
    const ledger = newLedger()
    const port = await freePort()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      configureFemto({ baseUrl: `http://127.0.0.1:${port}` })
      const call = callFemto({ name: 'echo', route: '/femto/echo' }, ['browser']) as Promise<unknown>
      await waitFor(() => warn.mock.calls.some(([line]) => /^\[femto\] echo: not reached \(.*ECONNREFUSED/.test(String(line))), 'a held call')
      await start('echo', { LEDGER_FILE: ledger.file, PORT: String(port) })
      expect(await call).toBe('echo:browser')
      expect(ledger.runs('echo browser')).toBe(1)
      expect(warn.mock.calls.filter(([line]) => /circuit breaker|retry \d+ of/.test(String(line)))).toEqual([])
    }
    finally {
      warn.mockRestore()
      configureFemto({ baseUrl: '' })
    }
  })
})

describe('a call that may have reached its function', () => {
  it('a non-idempotent call whose connection breaks after it was sent is not run again', async () => {
    const ledger = newLedger()
    let note = await start('note', { LEDGER_FILE: ledger.file })
    const port = new URL(note.url).port
    const relay = await start('relayNote', { FEMTO_URL_NOTE: note.url })
    // `note` writes its ledger line, then waits: killed in between, the call ran but was never answered.
    const answer = post(`${relay.url}/femto/relayNote`, ['once', 60_000])
    await waitFor(() => ledger.runs('note once') === 1, 'the call to run')
    await note.stop('SIGKILL')
    note = await start('note', { LEDGER_FILE: ledger.file, PORT: port })
    const { body } = await answer
    expect(body).toMatchObject({ code: 'UNAVAILABLE', status: 503 })
    expect(body.message).not.toMatch(/not reached/)
    // It has `retries: 3`: none was used, and the call is over, so nothing can run it again.
    expect(relay.output()).not.toMatch(/retry \d+ of|not reached/)
    expect(ledger.runs('note once')).toBe(1)
    expect((await post(`${relay.url}/femto/relayNote`, ['next'])).body).toEqual({ value: 'note:next' })
  })
})
