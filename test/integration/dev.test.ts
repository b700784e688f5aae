import type { RunnableDevEnvironment, ViteDevServer } from 'vite'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, createServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import femto from '../../src/vite'
import { editFile, post } from '../helpers'

/** A copy of the app fixture, without its builds: the tests edit the sources on disk, as a developer would. */
function copyOfApp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  cpSync(join(import.meta.dirname, '../fixtures/app'), dir, { recursive: true, filter: src => !/[\\/]dist[^\\/]*$/.test(src) })
  return dir
}

const root = copyOfApp('femto-dev-')

const errors: string[] = []
let server: ViteDevServer
let url: string

const edit = (file: string, from: string, to: string): void => editFile(join(root, file), from, to)

beforeAll(async () => {
  process.env.FEMTO_LOG_LEVEL = 'warn'
  const logger = createLogger('error', { allowClearScreen: false })
  logger.error = (message) => {
    errors.push(message)
  }
  server = await createServer({
    root,
    configFile: false,
    customLogger: logger,
    plugins: [femto({ summary: false })],
    server: { port: 0, host: '127.0.0.1' },
  })
  await server.listen()
  url = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
})

afterAll(async () => {
  await server?.close()
})

describe('vite dev', () => {
  it('answers {basePath}/{name} in-process, with the wire of a service', async () => {
    const sum = await post(`${url}/femto/add`, [2, 3])
    expect(sum).toMatchObject({ status: 200, body: 5 })
    expect(sum.headers.get('x-request-id')).toBeTruthy()
    const named = await post(`${url}/femto/multiply`, { a: 4 })
    expect(named.body).toBe(8)
    // Bad input gets the same 4xx as from a built service.
    expect(await post(`${url}/femto/add`, [1])).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } })
    expect(await post(`${url}/femto/add`, ['x', 1])).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } })
    expect(await post(`${url}/femto/nope`, [])).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } })
    expect(await post(`${url}/femto`, [])).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } })
    expect((await fetch(`${url}/femto/add`)).status).toBe(405)
  })

  it('runs calls between functions in the dev server process', async () => {
    const order = await post(`${url}/femto/placeOrder`, ['sku-1', 2, 'a@b.c'])
    expect(order.status).toBe(200)
    expect(order.body).toMatchObject({ total: 12, pid: process.pid })
  })

  it('lets the app\'s own SSR code call the functions in-process', async () => {
    const ssr = server.environments.ssr as RunnableDevEnvironment
    const math = await ssr.runner.import('/src/math.ts')
    expect(await math.add(2, 3)).toBe(5)
    const orders = await ssr.runner.import('/src/orders.ts')
    expect(await orders.placeOrder('sku-1', 1, 'a@b.c')).toMatchObject({ total: 11, pid: process.pid })
  })

  it('serves the app with stubs in place of the functions', async () => {
    const math = await (await fetch(`${url}/src/math.ts`)).text()
    expect(math).toContain('/femto/add')
    expect(math).not.toContain('body-marker-add')
    expect(math).not.toContain('server-only/db')
  })

  it('takes an edit to a function, and to a module it imports, on the next call', async () => {
    edit('src/math.ts', 'return sumAll([a, b])', 'return sumAll([a, b, 100])')
    await expect.poll(async () => (await post(`${url}/femto/add`, [2, 3])).body).toBe(105)
    edit('src/server-only/db.ts', 'return values.reduce((s, v) => s + v, 0)', 'return values.reduce((s, v) => s + v, 1000)')
    await expect.poll(async () => (await post(`${url}/femto/add`, [2, 3])).body).toBe(1105)
  })

  it('reports an edit that breaks the directive rules, and recovers on the next good edit', async () => {
    errors.length = 0
    edit('src/math.ts', 'export function square(n: number) {\n', 'export class Shape {\n  area(n: number) {\n    \'use femto\'\n    return n * n\n  }\n}\n\nexport function square(n: number) {\n')
    await expect.poll(() => errors.join('\n')).toContain('cannot mark a class method')
    const report = errors.join('\n')
    expect(report).toContain('src/math.ts:22:5')
    expect(report).toContain('> 22 |     \'use femto\'')
    const refused = await post(`${url}/femto/add`, [2, 3])
    // Reported once, when saved, not again for each call it fails.
    expect(errors.filter(e => e.startsWith('[unplugin-femto]'))).toHaveLength(1)
    expect(refused.status).toBe(500)
    expect(refused.body.error.message).toContain('src/math.ts:22:5')

    edit('src/math.ts', '\'use femto\'\n    return n * n', 'return n * n')
    await expect.poll(async () => (await post(`${url}/femto/add`, [2, 3])).body).toBe(1105)
  })

  it('keeps module state across edits the functions cannot see, and starts afresh after one they can', async () => {
    const first = (await post(`${url}/femto/tally`, [5])).body as number
    // The plugin's watcher listeners were added before this one: once it has heard of both files, so has the plugin.
    const heard = new Set<string>()
    const hear = (file: string): void => void heard.add(file)
    server.watcher.on('change', hear).on('add', hear)
    try {
      writeFileSync(join(root, 'index.html'), readFileSync(join(root, 'index.html'), 'utf8').replace('femto fixture', 'femto fixture, edited'))
      writeFileSync(join(root, 'notes.md'), 'not code\n')
      await expect.poll(() => [join(root, 'index.html'), join(root, 'notes.md')].filter(file => heard.has(file)), { timeout: 10_000 }).toHaveLength(2)
    }
    finally {
      server.watcher.off('change', hear).off('add', hear)
    }
    expect((await post(`${url}/femto/tally`, [5])).body).toBe(first + 5)
    edit('src/tally.ts', 'count += by', 'count += by * 2')
    await expect.poll(async () => (await post(`${url}/femto/tally`, [0])).body).toBe(0)
  })

  it('checks arguments against a type edited in another module, imported with import type', async () => {
    writeFileSync(join(root, 'src/shapes.ts'), 'export interface Point { x: number }\n')
    writeFileSync(join(root, 'src/geo.ts'), 'import type { Point } from \'./shapes\'\n\nexport async function norm(p: Point) {\n  \'use femto\'\n  return Math.abs(p.x)\n}\n')
    await expect.poll(async () => (await post(`${url}/femto/norm`, [{ x: -2 }])).body).toBe(2)
    expect(await post(`${url}/femto/norm`, [{ x: -2, y: 1 }])).toMatchObject({ status: 400, body: { error: { code: 'INVALID_ARGUMENT' } } })
    edit('src/shapes.ts', '{ x: number }', '{ x: number, y?: number }')
    await expect.poll(async () => (await post(`${url}/femto/norm`, [{ x: -2, y: 1 }])).status).toBe(200)
    expect(await post(`${url}/femto/norm`, [{ x: -2, y: 'no' }])).toMatchObject({ status: 400 })
  })

  it('serves a function added by an edit, without a restart', async () => {
    writeFileSync(join(root, 'src/late.ts'), 'export async function late(name: string) {\n  \'use femto\'\n  return \'late \' + name\n}\n')
    await expect.poll(async () => (await post(`${url}/femto/late`, ['ada'])).body).toBe('late ada')
    expect(await post(`${url}/femto/late`, [1])).toMatchObject({ status: 400 })
  })
})

describe('vite dev started on a broken directive', () => {
  it('reports it, then recovers on the good edit, with the functions of every file', async () => {
    const broken = copyOfApp('femto-dev-broken-')
    // greet.ts sorts first: the scan at start stops there, before any other file.
    editFile(join(broken, 'src/greet.ts'), '\'use femto\'\n', 'const early = 1\n\'use femto\'\n')
    const logger = createLogger('error', { allowClearScreen: false })
    const reported: string[] = []
    logger.error = (message) => {
      reported.push(message)
    }
    const dev = await createServer({ root: broken, configFile: false, customLogger: logger, plugins: [femto({ summary: false })], server: { port: 0, host: '127.0.0.1' } })
    try {
      await dev.listen()
      // In the terminal at start, before any call.
      await expect.poll(() => reported.join('\n')).toContain('src/greet.ts:')
      const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const refused = await post(`${base}/femto/add`, [2, 3])
      expect(refused.status).toBe(500)
      expect(refused.body.error.message).toContain('src/greet.ts')
      await post(`${base}/femto/add`, [2, 3])
      expect(reported.filter(e => e.includes('src/greet.ts:'))).toHaveLength(1)

      // The watcher reads the folder after the server starts: an edit before it has is not seen.
      await expect.poll(() => dev.watcher.getWatched()[join(broken, 'src')] ?? [], { timeout: 30_000 }).toContain('greet.ts')
      editFile(join(broken, 'src/greet.ts'), 'const early = 1\n', '')
      // The scan again derives every function's types: TypeScript may take a few seconds on a busy machine.
      await expect.poll(async () => (await post(`${base}/femto/add`, [2, 3])).body, { timeout: 30_000 }).toBe(5)
      expect((await post(`${base}/femto/add`, ['x', 3])).status).toBe(400)
    }
    finally {
      await dev.close()
    }
  })
})

describe('vite dev while calls keep coming', () => {
  it('serves every save, even when Vite invalidates its transforms late (a slow plugin\'s watchChange)', async () => {
    const dir = copyOfApp('femto-dev-busy-')
    // Vite invalidates a changed file's transform only after every plugin's watchChange: a plugin
    // that takes its time leaves a window in which a call would evaluate the file as it was.
    const slow = { name: 'slow-watch-change', watchChange: () => new Promise<void>(resolve => setTimeout(resolve, 1_000)) }
    const dev = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false }), slow], server: { port: 0, host: '127.0.0.1' } })
    try {
      await dev.listen()
      const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const add = (): Promise<unknown> => post(`${base}/femto/add`, [2, 3]).then(answer => answer.body)
      expect(await add()).toBe(5)
      await expect.poll(() => dev.watcher.getWatched()[join(dir, 'src')] ?? [], { timeout: 30_000 }).toContain('math.ts')
      // Calls without a pause, as a page polling or a bench would make them, across two saves.
      for (const [from, to, expected] of [['return sumAll([a, b])', 'return sumAll([a, b, 100])', 105], ['return sumAll([a, b, 100])', 'return sumAll([a, b])', 5]] as const) {
        editFile(join(dir, 'src/math.ts'), from, to)
        await expect.poll(add, { timeout: 20_000, interval: 0 }).toBe(expected)
      }
    }
    finally {
      await dev.close()
    }
  }, 60_000)

  it('serves a save whose write the watcher never reported (it saw the file truncated, then throttled the rest)', async () => {
    const dir = copyOfApp('femto-dev-save-')
    const dev = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false })], server: { port: 0, host: '127.0.0.1' } })
    try {
      await dev.listen()
      const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const file = join(dir, 'src/math.ts')
      const source = readFileSync(file, 'utf8')
      expect((await post(`${base}/femto/add`, [2, 3])).body).toBe(5)
      // What chokidar does to a save under load: the truncate is reported, the write 50 ms later
      // is not. Here the file is left out of the watcher and its events are told by hand.
      await dev.watcher.unwatch(file)
      writeFileSync(file, '')
      dev.watcher.emit('change', file)
      await expect.poll(async () => (await post(`${base}/femto/add`, [2, 3])).status).toBe(404)
      writeFileSync(file, source.replace('return sumAll([a, b])', 'return sumAll([a, b, 100])'))
      expect((await post(`${base}/femto/add`, [2, 3])).body).toBe(105)
    }
    finally {
      await dev.close()
    }
  }, 60_000)
})

describe('vite dev with saves close together', () => {
  it('serves a fix saved right after the broken edit it fixes, when the watcher throttled the fix\'s event', async () => {
    const dir = copyOfApp('femto-dev-refix-')
    const dev = await createServer({ root: dir, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false })], server: { port: 0, host: '127.0.0.1' } })
    try {
      await dev.listen()
      const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const add = (): Promise<{ status: number, body: any }> => post(`${base}/femto/add`, [2, 3])
      const file = join(dir, 'src/math.ts')
      const source = readFileSync(file, 'utf8')
      expect((await add()).body).toBe(5)
      // chokidar tells a file's change at most once per 50 ms: a save within 50 ms of the event
      // before it goes untold. Here the file is left out of the watcher and its events told by hand.
      await dev.watcher.unwatch(file)
      writeFileSync(file, source.replace('export function square(n: number) {\n', 'export class Shape {\n  area(n: number) {\n    \'use femto\'\n    return n * n\n  }\n}\n\nexport function square(n: number) {\n'))
      const told = performance.now()
      dev.watcher.emit('change', file)
      // The broken edit is read, and a call answered from it.
      await expect.poll(async () => (await add()).status, { interval: 0 }).toBe(500)
      writeFileSync(file, source)
      // Past the throttle, chokidar would tell this save too.
      if (performance.now() - told > 50)
        dev.watcher.emit('change', file)
      await expect.poll(async () => (await add()).body).toBe(5)
    }
    finally {
      await dev.close()
    }
  }, 60_000)
})

describe('vite dev with auth hooks', () => {
  it('runs the `auth` option\'s hook and a function\'s own, as the router does', async () => {
    const logger = createLogger('error', { allowClearScreen: false })
    const dev = await createServer({
      root: join(import.meta.dirname, '../fixtures/secure-app'),
      configFile: false,
      customLogger: logger,
      plugins: [femto({ summary: false, auth: 'src/auth.ts' })],
      server: { port: 0, host: '127.0.0.1' },
    })
    try {
      await dev.listen()
      const base = dev.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const json = { 'content-type': 'application/json' }
      expect(await post(`${base}/femto/ping`, [], json)).toMatchObject({ status: 200, body: 'pong' })
      expect(await post(`${base}/femto/ping`, [], { ...json, 'x-block': '1' })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } })
      expect(await post(`${base}/femto/whoami`, [], json)).toMatchObject({ status: 403 })
      expect(await post(`${base}/femto/whoami`, [], { ...json, cookie: 'session=valid-session' })).toMatchObject({ status: 200, body: 'ada' })
    }
    finally {
      await dev.close()
    }
  })
})
