// deploy.app on the real engine: the SvelteKit fixture (adapter-node) built with the plugin,
// `femto deploy` writing its server in the gateway's place, `docker-compose up -d --build`, and
// the page and its function reached through the app's published port alone.
import type { ComposeProject } from '../support/docker'
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { composeProject, composeUp, dockerAnswers, ensureStandinImages } from '../support/docker'

const ROOT = join(import.meta.dirname, '../..')
// Inside the repository, as the original: its hook and config import the plugin by relative path.
const WORK = join(ROOT, `test/fixtures/sveltekit-app-docker-${process.pid}`)
const SECRET = 'sk_sveltekit_secret_4c1e9a'
const APP_PORT = 3000
const run = promisify(execFile)

let project: ComposeProject | undefined
let app: string
let pricePort: number

beforeAll(async () => {
  // Fails, not skips, without a daemon: .ci/run starts one.
  if (!dockerAnswers())
    throw new Error('no Docker daemon answers `docker info`; start dockerd (see .ci/run)')
  const images = ensureStandinImages()
  cpSync(join(ROOT, 'test/fixtures/sveltekit-app'), WORK, { recursive: true, filter: src => !/[\\/](?:build|dist|\.svelte-kit)$/.test(src) })
  // As the recipe has it: the hook imports unplugin-femto/handler, a devDependency (this package,
  // linked), which adapter-node bundles into build/, so that the image needs no node_modules.
  writeFileSync(join(WORK, 'package.json'), JSON.stringify({ name: 'femto-sveltekit-docker', type: 'module', private: true, devDependencies: { 'unplugin-femto': '*' } }))
  mkdirSync(join(WORK, 'node_modules'), { recursive: true })
  symlinkSync(ROOT, join(WORK, 'node_modules/unplugin-femto'))
  const hook = join(WORK, 'src/hooks.server.ts')
  writeFileSync(hook, readFileSync(hook, 'utf8').replace('\'../../../../src/runtime/handler\'', '\'unplugin-femto/handler\''))
  expect(readFileSync(hook, 'utf8')).toContain('from \'unplugin-femto/handler\'')
  const deploy = { baseImage: images.node, gatewayHost: '127.0.0.1', gatewayPort: 0, app: { command: 'node build/index.js', files: ['build'], port: APP_PORT } }
  writeFileSync(join(WORK, 'vite.config.ts'), `import { sveltekit } from '@sveltejs/kit/vite'
import femto from '../../../src/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  logLevel: 'warn',
  plugins: [femto({ summary: false, deploy: ${JSON.stringify(deploy)} }), sveltekit()],
})
`)
  const env = { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }
  const build = await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build'], { cwd: WORK, env })
  // The build leaves deploy/ to femto deploy, run once the adapter has written build/.
  expect(build.stdout + build.stderr).toContain('deploy.app is set: run `femto deploy dist`')
  await run(process.execPath, [join(ROOT, 'dist/cli.js'), 'deploy', 'dist'], { cwd: WORK, env })
  pricePort = JSON.parse(readFileSync(join(WORK, 'dist/servers/femto.json'), 'utf8')).services.find((s: { name: string }) => s.name === 'price').port
  project = composeProject(`femto-app-test-${process.pid}`, [join(WORK, 'dist/deploy/docker-compose.yml')])
  await composeUp(project, '-d', '--build')
  app = `http://${(await project.compose('port', 'femto-app', String(APP_PORT))).stdout.trim()}`
}, 600_000)

afterAll(async () => {
  await project?.down()
  // The link first, so that nothing could ever walk into the repository through it.
  rmSync(join(WORK, 'node_modules/unplugin-femto'), { force: true })
  rmSync(WORK, { recursive: true, force: true })
}, 120_000)

/** Runs `node -e <script>` in the app's container, on the project's network: the services as the app sees them. */
async function inApp(script: string): Promise<string> {
  return (await project!.compose('exec', '-T', 'femto-app', 'node', '-e', script)).stdout.trim()
}

describe('deploy.app on Docker: SvelteKit (adapter-node) in the gateway\'s place', () => {
  it('publishes the app alone, on the address asked for; no gateway is written', () => {
    expect(app).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const services = parse(readFileSync(join(WORK, 'dist/deploy/docker-compose.yml'), 'utf8')).services
    expect(Object.keys(services).sort()).toEqual(['femto-app', 'price'])
    expect(Object.keys(services).filter(name => services[name].ports)).toEqual(['femto-app'])
    expect(services['femto-app'].environment).toMatchObject({ FEMTO_URL_PRICE: `http://price:${pricePort}`, PORT: String(APP_PORT) })
    expect(services['femto-app'].env_file).toEqual(['../femto.env'])
  })

  it('answers the page, and its client files, through the app\'s port', async () => {
    await expect.poll(async () => Object.values(await project!.statuses()).every(s => s.includes('(healthy)')), { timeout: 60_000, interval: 500 }).toBe(true)
    const res = await fetch(app)
    expect(res.status).toBe(200)
    // The fixture renders in the browser (ssr = false): the page is SvelteKit's shell and its entry scripts.
    const scripts = Array.from((await res.text()).matchAll(/import\("\.\/(_app\/immutable\/[^"]+\.js)"\)/g), m => m[1]!)
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) {
      const file = await fetch(`${app}/${script}`)
      expect(file.status, script).toBe(200)
      expect(file.headers.get('content-type'), script).toMatch(/javascript/)
    }
  })

  it('carries a call through the app to the service container, and keeps the wire\'s errors', async () => {
    const res = await fetch(`${app}/femto/price`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["tee",2]' })
    expect(res.status).toBe(200)
    expect((await res.json()).total).toBe(2400)
    const missing = await fetch(`${app}/femto/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' })
    expect(missing.status).toBe(404)
    expect((await missing.json()).error.code).toBe('NOT_FOUND')
  })

  it('refuses a call straight to the service container without the token, and takes it with the app\'s', async () => {
    const call = (headers: string) => inApp(`fetch('http://price:${pricePort}/femto/price',{method:'POST',headers:{'content-type':'application/json',${headers}},body:'["tee",2]'}).then(async r=>console.log(r.status+' '+await r.text()))`)
    const without = await call('')
    expect(without).toMatch(/^401 /)
    expect(JSON.parse(without.slice(4)).error.code).toBe('UNAUTHORIZED')
    // The same call with the token the app got from femto.env: the refusal was the token's.
    const token = /^FEMTO_TOKEN=(\S+)$/m.exec(readFileSync(join(WORK, 'dist/femto.env'), 'utf8'))![1]!
    expect(await call(`authorization:'Bearer ${token}'`)).toMatch(/^200 /)
  })

  it('serves no service file, and its image holds none', async () => {
    for (const path of ['/servers/price.js', '/servers/router.js', '/servers/femto.json', '/price.js', '/router.js', '/femto.json', '/.femto/femto.json', '/dist/servers/price.js', '/_app/servers/price.js']) {
      const res = await fetch(`${app}${path}`)
      const text = await res.text()
      expect(res.status, path).not.toBe(200)
      expect(text, path).not.toContain(SECRET)
    }
    // What the image holds: the server's output and the routes, no bundle of a service.
    const files = (await inApp(`const{readdirSync}=require('node:fs');console.log(readdirSync('/app',{recursive:true}).join('\\n'))`)).split('\n')
    expect(files).toContain('build/index.js')
    expect(files.filter(f => /(?:^|\/)(?:price|router)\.js$/.test(f) || f.startsWith('servers'))).toEqual([])
    expect(await inApp(`const{readdirSync,readFileSync}=require('node:fs');console.log(readdirSync('/app',{recursive:true,withFileTypes:true}).filter(e=>e.isFile()).some(e=>readFileSync(e.parentPath+'/'+e.name,'utf8').includes(${JSON.stringify(SECRET)})))`)).toBe('false')
  })
})
