import type { ChildProcess } from 'node:child_process'
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { build as esbuild } from 'esbuild'
import { createBuilder } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'
import femtoEsbuild from '../../src/esbuild'
import femtoVite from '../../src/vite'
import { APP_OPTIONS, SERVER_ONLY, SERVICES } from '../fixtures/app/expected'
import { femtoUp, readTree, viteBuild } from '../helpers'

const ROOT = join(import.meta.dirname, '../..')
const APP = join(ROOT, 'test/fixtures/app')
const SVELTEKIT = join(ROOT, 'test/fixtures/sveltekit-app')
const SECRET = 'quote-secret-key-0b7e'
const SVELTEKIT_SECRET = 'sk_sveltekit_secret_4c1e9a'

/** What only servers may read: none of it may be in a folder that is published. */
function serverFilesIn(dir: string, services: string[]): string[] {
  const names = Array.from(readTree(dir).keys(), file => relative(dir, file))
  const server = new Set(['router.js', 'femto.json', 'openapi.json', 'docker-compose.yml', ...services.map(s => `${s}.js`)])
  return names.filter(name => server.has(name.split('/').pop()!) || /^(?:servers|deploy)\//.test(name) || name.endsWith('Dockerfile'))
}

function secretsIn(dir: string, secrets: string[]): string[] {
  const text = [...readTree(dir).values()].join('\n')
  return secrets.filter(secret => text.includes(secret))
}

/** A project of its own (a folder no other test builds), with one function holding a secret. */
function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'femto-public-'))
  mkdirSync(join(root, 'src'))
  writeFileSync(join(root, 'index.html'), '<script type="module" src="/src/main.ts"></script>\n')
  writeFileSync(join(root, 'src/main.ts'), 'import { quote } from \'./quote\'\n\nvoid quote(2)\n')
  writeFileSync(join(root, 'src/quote.ts'), `const KEY = '${SECRET}'\n\nexport async function quote(qty: number) {\n  'use femto'\n  return { total: qty * 10, key: KEY.slice(0, 5) + String(qty) }\n}\n`)
  return root
}

describe('vite build: the client folder holds nothing of the servers', () => {
  it('by default: the client in dist/client, the services in dist/servers, deploy files in dist/deploy', async () => {
    const root = project()
    const builder = await createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femtoVite({ summary: false, deploy: true })] })
    await builder.buildApp()
    expect(existsSync(join(root, 'dist/client/index.html'))).toBe(true)
    expect(existsSync(join(root, 'dist/servers/quote.js'))).toBe(true)
    expect(existsSync(join(root, 'dist/deploy/docker-compose.yml'))).toBe(true)
    expect(existsSync(join(root, 'dist/index.html'))).toBe(false)
    expect(serverFilesIn(join(root, 'dist/client'), ['quote'])).toEqual([])
    expect(secretsIn(join(root, 'dist/client'), [SECRET])).toEqual([])
    // The secret is where it belongs: otherwise the scan above proves nothing.
    expect(secretsIn(join(root, 'dist/servers'), [SECRET])).toEqual([SECRET])
  })

  it('for the fixture app with every kind of function, with deploy files', async () => {
    const dist = await viteBuild(APP, 'dist-public', { ...APP_OPTIONS, deploy: true })
    expect(existsSync(join(dist, 'client/index.html'))).toBe(true)
    expect(existsSync(join(dist, 'deploy/gateway/Dockerfile'))).toBe(true)
    expect(serverFilesIn(join(dist, 'client'), SERVICES)).toEqual([])
    expect(secretsIn(join(dist, 'client'), SERVER_ONLY)).toEqual([])
    // The gateway image gets the client build, from its own folder.
    const gateway = readTree(join(dist, 'deploy/gateway')).get(join(dist, 'deploy/gateway/Dockerfile'))!
    expect(gateway).toContain('COPY ["client/index.html","/app/client/index.html"]')
    expect(gateway).not.toMatch(/COPY \["servers|"\/app\/client\/(?:client|servers|deploy)/)
  })

  it('a client folder the user chose stays, and the services never go inside it', async () => {
    const root = project()
    const own = await createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femtoVite({ summary: false })], environments: { client: { build: { outDir: 'site' } } } })
    await own.buildApp()
    expect(existsSync(join(root, 'site/index.html'))).toBe(true)
    expect(existsSync(join(root, 'dist/servers/quote.js'))).toBe(true)
    expect(serverFilesIn(join(root, 'site'), ['quote'])).toEqual([])

    // femto's folder then holds no client build: femto up and the gateway's image serve that folder
    // itself, but never what femto wrote there for the servers (the token file included).
    const deployed = await createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femtoVite({ summary: false, deploy: true })], environments: { client: { build: { outDir: 'site' } } } })
    await deployed.buildApp()
    expect(existsSync(join(root, 'dist/femto.env'))).toBe(true)
    expect(readTree(join(root, 'dist/deploy/gateway')).get(join(root, 'dist/deploy/gateway/Dockerfile'))).not.toMatch(/"femto\.env"|"\/app\/client\/(?:servers|deploy)/)
    const up = await femtoUp(join(root, 'dist'))
    try {
      for (const path of ['/femto.env', '/servers/femto.json', '/deploy/docker-compose.yml', '/deploy'])
        expect((await fetch(`${up.url}${path}`)).status, path).toBe(404)
    }
    finally {
      await up.stop()
    }

    const inside = createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femtoVite({ summary: false, outDir: 'site/femto' })], environments: { client: { build: { outDir: 'site' } } } })
    await expect(inside.then(builder => builder.buildApp())).rejects.toThrow(/the services would be written to site\/femto\/servers\/, inside the client build's folder site\//)
  })
})

describe('the other bundlers: their output folder is the client folder', () => {
  it('refuses an output folder that is femto\'s own, and writes nothing there', async () => {
    const root = project()
    const failed: Error = await esbuild({ entryPoints: [join(root, 'src/main.ts')], bundle: true, format: 'esm', outdir: join(root, 'dist'), absWorkingDir: root, plugins: [femtoEsbuild({ summary: false })], logLevel: 'silent' }).then(() => undefined as never, e => e)
    expect(String(failed.message)).toMatch(/the services would be written to dist\/servers\/, inside the client build's folder dist\//)
    expect(existsSync(join(root, 'dist/servers'))).toBe(false)
  })

  it('an output folder of another name: the services in dist/servers of the project', async () => {
    const root = project()
    await esbuild({ entryPoints: [join(root, 'src/main.ts')], bundle: true, format: 'esm', outdir: join(root, 'public/build'), absWorkingDir: root, plugins: [femtoEsbuild({ summary: false })], logLevel: 'silent' })
    expect(existsSync(join(root, 'dist/servers/quote.js'))).toBe(true)
    expect(serverFilesIn(join(root, 'public'), ['quote'])).toEqual([])
    expect(secretsIn(join(root, 'public'), [SECRET])).toEqual([])
  })
})

describe('sveltekit (adapter-node): femto keeps out of the folders the adapter publishes', () => {
  let server: ChildProcess | undefined
  let output = ''

  afterAll(async () => {
    if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise(resolve => server!.once('exit', resolve))
      server.kill('SIGKILL')
      await exited
    }
  })

  it('builds the services to dist/servers; the running app does not serve them', async () => {
    for (const dir of ['.svelte-kit', 'build', 'dist'])
      rmSync(join(SVELTEKIT, dir), { recursive: true, force: true })
    // The app's own `vite build`, as its developer runs it: SvelteKit runs a second build for the client.
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: SVELTEKIT, env: { ...process.env, NODE_ENV: 'production' } })
    expect(existsSync(join(SVELTEKIT, 'dist/servers/price.js'))).toBe(true)
    expect(secretsIn(join(SVELTEKIT, 'dist/servers'), [SVELTEKIT_SECRET])).toEqual([SVELTEKIT_SECRET])
    for (const published of ['build', '.svelte-kit/output']) {
      expect(serverFilesIn(join(SVELTEKIT, published), ['price']).filter(name => !name.startsWith('server/')), published).toEqual([])
      expect(secretsIn(join(SVELTEKIT, published), [SVELTEKIT_SECRET]), published).toEqual([])
    }

    server = spawn(process.execPath, [join(SVELTEKIT, 'build/index.js')], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    server.stdout!.on('data', (c) => {
      output += c
    })
    server.stderr!.on('data', (c) => {
      output += c
    })
    await expect.poll(() => /Listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1], { timeout: 15_000 }).toBeDefined()
    const url = /Listening on (http:\/\/[\d.]+:\d+)/.exec(output)![1]!
    // The page itself (client-rendered: +layout.ts turns SSR off) is served: the server is the app's.
    expect(await (await fetch(`${url}/`)).text()).toContain('_app/immutable/entry')
    for (const path of ['/servers/price.js', '/servers/router.js', '/servers/femto.json', '/price.js', '/router.js', '/femto.json', '/_app/servers/price.js', '/dist/servers/price.js'])
      expect((await fetch(`${url}${path}`)).status, path).toBe(404)
  })
})
