import type { ViteDevServer } from 'vite'
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devServerOfDist, editFile, post } from '../helpers'

// The published plugin (dist/), as an app runs it: only there does the analysis thread have a file to run.
const DIST = join(import.meta.dirname, '../../dist')
// A copy, with no cache: the start analyses every module, then the test edits them.
const root = mkdtempSync(join(tmpdir(), 'femto-dev-thread-'))
cpSync(join(import.meta.dirname, '../fixtures/app'), root, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|\.cache)$/.test(src) })
// What a function sees of its module and of the request, run by Vite's module runner.
writeFileSync(join(root, 'src/where.ts'), `import { getRequestContext } from 'unplugin-femto/context'

export async function where(): Promise<{ url: string, filename: string, resolved: string, requestId: string }> {
  'use femto'
  return { url: import.meta.url, filename: import.meta.filename, resolved: import.meta.resolve('./math.ts'), requestId: getRequestContext().requestId }
}
`)

/** Whether this process (the dev server's thread) has loaded Babel's traverse. */
const babelLoaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some(file => file.includes('@babel/traverse'))

const errors: string[] = []
let server: ViteDevServer
let url: string

beforeAll(async () => {
  ;({ server, url } = await devServerOfDist(root, errors))
})

afterAll(async () => {
  await server?.close()
})

describe('vite dev runs the published runtime as Node loads it', () => {
  it('never hands the runtime to the module runner, and a function reads the request and its module', async () => {
    const answer = await post(`${url}/femto/where`, [])
    expect(answer.status).toBe(200)
    const file = join(root, 'src/where.ts')
    expect(answer.body).toMatchObject({ url: pathToFileURL(file).href, filename: file, resolved: pathToFileURL(join(root, 'src/math.ts')).href })
    // The same runtime instance as the handler's: the context it set is the one the function reads.
    expect(answer.body.requestId).toMatch(/\S/)
    // What the runner was given to run: transformed for it. The runtime's files are known to the
    // graph (the functions import them), never transformed.
    const ran = [...server.environments.femto!.moduleGraph.idToModuleMap.values()].filter(mod => mod.transformResult).map(mod => mod.id!)
    expect(ran.some(id => id.endsWith('/src/where.ts'))).toBe(true)
    expect(ran.filter(id => id.startsWith(DIST))).toEqual([])
  })
})

describe('vite dev analyses modules on a worker thread', () => {
  it('serves the start and an edit without loading Babel in the dev server\'s thread', async () => {
    expect(babelLoaded()).toBe(false)
    expect(await post(`${url}/femto/add`, [2, 3])).toMatchObject({ status: 200, body: 5 })
    editFile(join(root, 'src/math.ts'), 'return sumAll([a, b])', 'return sumAll([a, b, 100])')
    await expect.poll(async () => (await post(`${url}/femto/add`, [2, 3])).body).toBe(105)
    expect(babelLoaded()).toBe(false)
  })

  it('reports a broken edit with its place and frame, as an analysis in the dev server\'s thread does', async () => {
    editFile(join(root, 'src/math.ts'), 'export function square(n: number) {\n', 'export class Shape {\n  area(n: number) {\n    \'use femto\'\n    return n * n\n  }\n}\n\nexport function square(n: number) {\n')
    await expect.poll(() => errors.join('\n')).toContain('cannot mark a class method')
    expect(errors.join('\n')).toContain('src/math.ts:22:5')
    expect(errors.join('\n')).toContain('> 22 |     \'use femto\'')
    expect((await post(`${url}/femto/add`, [2, 3])).status).toBe(500)
    editFile(join(root, 'src/math.ts'), '\'use femto\'\n    return n * n', 'return n * n')
    await expect.poll(async () => (await post(`${url}/femto/add`, [2, 3])).body).toBe(105)
  })
})
