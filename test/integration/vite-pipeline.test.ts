import type { Options } from '../../src/core/registry/options'
import type { RunningProcess } from '../helpers'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express from 'express'
import { rolldown } from 'rolldown'
import { createBuilder, createServer } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import femtoRolldown from '../../src/rolldown'
import { appConfig } from '../fixtures/vite-features-app/app-config'
import { post, startNode, viteBuild } from '../helpers'

// The services are built by Vite, in the app's own pipeline: its plugin (a virtual module), its
// alias and define, `.env`, `?raw` and JSON imports, an npm package. They must answer as in `vite dev`.
const APP = join(import.meta.dirname, '../fixtures/vite-features-app')
const running: RunningProcess[] = []

afterAll(async () => {
  await Promise.all(running.map(p => p.stop()))
})

/** `vite build` of the fixture (Vite's builder, as the CLI runs it), into `outDir`; returns the services' folder. */
async function build(outDir: string, options: Options = {}, root = APP): Promise<string> {
  for (const dir of [outDir, 'dist'])
    rmSync(join(root, dir), { recursive: true, force: true })
  // As the `vite build` command runs, not as Vitest set it ('test'): Vite's PROD and DEV follow it.
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    const builder = await createBuilder({ ...appConfig({ summary: false, ...options }), root, configFile: false, logLevel: 'silent', build: { outDir, emptyOutDir: true } }, null)
    await builder.buildApp()
  }
  finally {
    process.env.NODE_ENV = nodeEnv
  }
  // Where the services go is output-dirs.ts's rule: beside the client build, never inside it.
  const servers = [join(root, outDir, 'servers'), join(root, 'dist/servers')].find(dir => existsSync(join(dir, 'femto.json')))
  expect(servers, 'femto.json written').toBeDefined()
  return servers!
}

/** Everything but what a run may differ in (the mode and what follows from it). */
function sameEverywhere(answer: Record<string, unknown>): Record<string, unknown> {
  const { mode: _mode, prod: _prod, dev: _dev, greeting: _greeting, envKeys: _envKeys, ...rest } = answer
  return rest
}

const PRODUCTION = {
  mode: 'production',
  prod: true,
  dev: false,
  ssr: true,
  base: '/',
  flag: 'on',
  // As Vite's own SSR build defines import.meta.env: the VITE_ variables of .env, never the others.
  envKeys: ['BASE_URL', 'DEV', 'MODE', 'PROD', 'SSR', 'VITE_FLAG'],
  greeting: 'Hello ada, built for production.\n',
  usd: 1.08,
  info: { plugin: 'app:build-info', answer: 42 },
  version: '1.2.3',
  idLength: 8,
}

describe('services built through the app\'s Vite pipeline', () => {
  let servers: string
  let fromDev: Record<string, unknown>

  it('answers in vite dev', async () => {
    const server = await createServer({ ...appConfig({ summary: false }), root: APP, configFile: false, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' } })
    try {
      await server.listen()
      const url = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const answer = await post(`${url}/femto/buildInfo`, ['ada'])
      expect(answer.status).toBe(200)
      fromDev = answer.body
      expect(fromDev).toMatchObject({ mode: 'development', prod: false, dev: true, flag: 'on', greeting: 'Hello ada, built for development.\n' })
    }
    finally {
      await server.close()
    }
  })

  it('builds each service as one standalone file that answers as in dev, with import.meta.env as Vite\'s SSR build gives it', async () => {
    servers = await build('dist')
    const code = readFileSync(join(servers, 'buildInfo.js'), 'utf8')
    expect(code).not.toContain('sk_fixture_never_bundled')
    const imported = Array.from(code.matchAll(/^(?:import|export)\s[^;'"]*from\s*['"]([^'"]+)['"]/gm), m => m[1]!.replace(/^node:/, ''))
    expect(imported.filter(id => !builtinModules.includes(id))).toEqual([])
    // Run from a folder holding that one file only: nothing installed.
    const empty = mkdtempSync(join(import.meta.dirname, '../../node_modules/.femto-empty-'))
    try {
      cpSync(join(servers, 'buildInfo.js'), join(empty, 'buildInfo.js'))
      const service = await startNode(join(empty, 'buildInfo.js'), { cwd: empty })
      running.push(service)
      const answer = await post(`${service.url}/femto/buildInfo`, ['ada'])
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual(PRODUCTION)
      expect(sameEverywhere(answer.body)).toEqual(sameEverywhere(fromDev))
    }
    finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('answers the same from router.js mounted in an Express app', async () => {
    const { default: router } = await import(join(servers, 'router.js'))
    const app = express().use(router)
    const server = createHttpServer(app).listen(0, '127.0.0.1')
    await new Promise(resolve => server.once('listening', resolve))
    try {
      const { port } = server.address() as { port: number }
      const answer = await post(`http://127.0.0.1:${port}/femto/buildInfo`, ['ada'])
      expect(answer.body).toEqual(PRODUCTION)
    }
    finally {
      server.close()
    }
  })

  it('answers the same in monolith mode', async () => {
    const monolith = await build('dist-monolith', { mode: 'monolith' })
    expect(readdirSync(monolith).filter(f => f.endsWith('.js')).sort()).toEqual(['monolith.js', 'router.js'])
    const service = await startNode(join(monolith, 'monolith.js'))
    running.push(service)
    expect((await post(`${service.url}/femto/buildInfo`, ['ada'])).body).toEqual(PRODUCTION)
  })
})

describe('an import the services\' build cannot resolve', () => {
  // A copy inside the repository, so that `nanoid` and the plugin still resolve from it.
  const root = mkdtempSync(join(APP, '../.vite-features-unresolved-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it.each([
    ['a virtual module no plugin provides', 'virtual:nobody-provides'],
    ['a package that is not installed', 'femto-fixture-not-installed'],
  ])('fails the build naming the function, the import and the file: %s', async (_, id) => {
    cpSync(APP, root, { recursive: true, filter: src => !/[\\/]dist[^\\/]*$/.test(src) })
    writeFileSync(join(root, 'src/lib/extra.ts'), `import extra from '${id}'\nexport const more = (): unknown => extra\n`)
    const info = join(root, 'src/info.ts')
    writeFileSync(info, readFileSync(info, 'utf8').replace('idLength: nanoid(8).length,', 'idLength: nanoid(8).length,\n    more: more(),').replace('import rates', 'import { more } from \'./lib/extra\'\nimport rates'))
    await expect(build('dist', {}, root)).rejects.toThrow(`[unplugin-femto] femto function 'buildInfo': src/lib/extra.ts imports '${id}', which the services' build could not resolve`)
  })

  it('fails the build the same way when the services are built by rolldown (every bundler but Vite)', async () => {
    const project = join(root, 'rolldown-app')
    mkdirSync(join(project, 'src'), { recursive: true })
    writeFileSync(join(project, 'src/main.ts'), 'import { stamp } from \'./stamp\'\nvoid stamp()\n')
    writeFileSync(join(project, 'src/stamp.ts'), 'import info from \'virtual:nobody-provides\'\n\nexport async function stamp() {\n  \'use femto\'\n  return info\n}\n')
    const bundle = await rolldown({ input: join(project, 'src/main.ts'), platform: 'browser', plugins: [femtoRolldown({ summary: false, root: project })], logLevel: 'silent' })
    try {
      await expect(bundle.write({ dir: join(project, 'dist/client'), format: 'es' })).rejects.toThrow(`[unplugin-femto] femto function 'stamp': src/stamp.ts imports 'virtual:nobody-provides', which the services' build could not resolve`)
    }
    finally {
      await bundle.close()
    }
  })
})

describe('one build for every service of a module', () => {
  // shop.ts reads its price list at module level, for `quote` only: `checkout`, in the same
  // module, must neither carry that read nor fail without the file (it did in its Docker image).
  const SHOP = join(import.meta.dirname, '../fixtures/deploy-app')
  const work = mkdtempSync(join(tmpdir(), 'femto-vite-siblings-'))
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('keeps a sibling function\'s module-level initializer out of a service, which starts from an empty folder', async () => {
    cpSync(SHOP, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
    const servers = join(await viteBuild(work, 'dist', { files: { quote: ['config/prices.json'] } }), 'servers')
    const checkout = readFileSync(join(servers, 'checkout.js'), 'utf8')
    expect(checkout).not.toContain('prices.json')
    expect(checkout).not.toContain('readFileSync')
    expect(readFileSync(join(servers, 'quote.js'), 'utf8')).toContain('config/prices.json')
    const empty = mkdtempSync(join(work, 'empty-'))
    cpSync(join(servers, 'checkout.js'), join(empty, 'checkout.js'))
    const service = await startNode(join(empty, 'checkout.js'), { cwd: empty })
    running.push(service)
    expect(service.output()).not.toContain('ENOENT')
    // And quote, beside its run-time file, answers from it.
    const quote = await startNode(join(servers, 'quote.js'), { cwd: servers })
    running.push(quote)
    expect((await post(`${quote.url}/femto/quote`, ['apple'])).body).toMatchObject({ sku: 'apple', price: 3 })
  })
})
