import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

// A cold `vite build` makes its first TypeScript program on a thread started before its scan
// (types-schedule.ts's `early`), and only with the published plugin (dist/): only there does the
// thread have a file to run. The build runs in a process of its own, so that what its main
// thread ran is its own, started as `node --input-type=module -e`, whose option a worker from a
// file must not inherit.
const DIST = join(import.meta.dirname, '../../dist')
const root = mkdtempSync(join(tmpdir(), 'femto-build-types-'))
cpSync(join(import.meta.dirname, '../fixtures/app'), root, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|\.cache)$/.test(src) })

/**
 * One `vite build` of the copy; prints whether V8 parsed TypeScript's compiler on the build's
 * own thread. It is not `require`d (it runs from V8's code cache, compile-cache.ts), but V8 lists
 * every script it parsed to a debugger.
 */
const ONE_BUILD = `
import { Session } from 'node:inspector'
import { createBuilder } from 'vite'
const { default: femto } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'vite.js')).href)})
const builder = await createBuilder({ root: ${JSON.stringify(root)}, configFile: false, logLevel: 'error', plugins: [femto({ summary: false })], build: { outDir: 'dist', emptyOutDir: true } })
await builder.buildApp()
const session = new Session()
session.connect()
const scripts = []
session.on('Debugger.scriptParsed', ({ params }) => scripts.push(params.url))
session.post('Debugger.enable')
session.post('Debugger.disable')
session.disconnect()
console.log(JSON.stringify({ scripts: scripts.length, typescript: scripts.some(url => /[\\\\/]typescript[\\\\/]lib[\\\\/]typescript\\.js$/.test(url)) }))
`

async function build(): Promise<{ scripts: number, typescript: boolean }> {
  // Run from the repository, whose Vite it imports. It must end by itself: a thread left running would hold it.
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', ONE_BUILD], { cwd: join(import.meta.dirname, '../..'), timeout: 120_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

function addSchema(): unknown {
  const api = JSON.parse(readFileSync(join(root, 'dist/servers/openapi.json'), 'utf8'))
  return api.paths['/femto/add'].post.requestBody.content['application/json'].schema
}

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('a cold build\'s TypeScript program', () => {
  it('is made on a thread of its own, which ends with the build: the schemas are derived, and TypeScript never runs on the build\'s thread', async () => {
    const cold = await build()
    expect(cold.scripts).toBeGreaterThan(100)
    expect(cold.typescript).toBe(false)
    expect(addSchema()).toMatchObject({ oneOf: [{ properties: { a: { type: 'number' }, b: { type: 'number' } } }, {}] })
  }, 120_000)
})
