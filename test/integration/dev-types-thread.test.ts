import type { ViteDevServer } from 'vite'
import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync } from 'node:fs'
import { Session } from 'node:inspector'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devServerOfDist, editFile, post } from '../helpers'

// The published plugin (dist/), as an app runs it: only there does the types thread have a file to run.
const DIST = join(import.meta.dirname, '../../dist')
const root = mkdtempSync(join(tmpdir(), 'femto-dev-types-'))
cpSync(join(import.meta.dirname, '../fixtures/app'), root, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|\.cache)$/.test(src) })

/** Starts `vite dev` on the copy with the published plugin, answers one call, and stops. */
const ONE_SESSION = `
import { createServer } from 'vite'
const { default: femto } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'vite.js')).href)})
const server = await createServer({ root: ${JSON.stringify(root)}, configFile: false, logLevel: 'error', plugins: [femto({ summary: false })], server: { port: 0, host: '127.0.0.1' } })
await server.listen()
const res = await fetch(server.resolvedUrls.local[0] + 'femto/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[2,3]' })
if (await res.text() !== '5')
  throw new Error('the first session answered ' + res.status)
await server.close()
`

/**
 * Whether this thread (the dev server's) has run TypeScript's compiler. It is not `require`d (it
 * runs from V8's code cache, compile-cache.ts), but V8 lists every script it parsed to a debugger.
 */
function typescriptRan(): boolean {
  const session = new Session()
  session.connect()
  const scripts: string[] = []
  session.on('Debugger.scriptParsed', ({ params }) => scripts.push(params.url))
  // Events for the scripts already parsed arrive before `enable` answers, within this call.
  session.post('Debugger.enable')
  session.post('Debugger.disable')
  session.disconnect()
  expect(scripts.length).toBeGreaterThan(100)
  return scripts.some(url => /[\\/]typescript[\\/]lib[\\/]typescript\.js$/.test(url))
}

const errors: string[] = []
let server: ViteDevServer
let url: string

beforeAll(async () => {
  // A session of its own process (run from the repository, whose Vite it imports) derives every
  // type and leaves the schema cache filled, as a developer's last session does: this one starts from it.
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', ONE_SESSION], { cwd: join(import.meta.dirname, '../..'), timeout: 120_000 })
  ;({ server, url } = await devServerOfDist(root, errors))
}, 180_000)

afterAll(async () => {
  await server?.close()
})

describe('vite dev after a start the schema cache served', () => {
  it('derives an edited type on its types thread: the checks follow the edit, and TypeScript never runs in the dev server\'s thread', async () => {
    expect(await post(`${url}/femto/add`, [2, 3])).toMatchObject({ status: 200, body: 5 })
    // The checks the cache held.
    const bad = await post(`${url}/femto/multiply`, ['3', 2])
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('INVALID_ARGUMENT')
    editFile(join(root, 'src/math.ts'), 'async (a: number, b = 2)', 'async (a: string, b = 2)')
    await expect.poll(async () => (await post(`${url}/femto/multiply`, ['3', 2])).body, { timeout: 60_000 }).toBe(6)
    expect((await post(`${url}/femto/multiply`, [3, 2])).status).toBe(400)
    expect(typescriptRan()).toBe(false)
    expect(errors).toEqual([])
  }, 120_000)
})
