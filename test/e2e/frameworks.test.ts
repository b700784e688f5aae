import type { ChildProcess } from 'node:child_process'
import type { Browser } from 'playwright-core'
import { execFile, spawn } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, launchChromium } from '../helpers'

// The recipes of docs/guide/frameworks.md, run as they are written: each fixture app is built with
// the plugin, then run by `femto up dist --app "<the framework's server>"`, and its page calls its
// femto function from Chromium; then the same page under the framework's dev server.

const ROOT = join(import.meta.dirname, '../..')
const CLI = join(ROOT, 'dist/cli.js')
const BIN = {
  vite: join(ROOT, 'node_modules/vite/bin/vite.js'),
  reactRouter: join(ROOT, 'node_modules/@react-router/dev/bin.js'),
  reactRouterServe: join(ROOT, 'node_modules/@react-router/serve/bin.js'),
  astro: join(ROOT, 'node_modules/astro/astro.js'),
}

interface Framework {
  name: string
  /** The fixture folder (SvelteKit's is copied: the public-folder test builds the original at the same time). */
  dir: string
  build: string[]
  /** What `femto up --app` runs, from the app's folder. */
  app: string
  dev: (port: number) => string[]
  secret: string
}

const SVELTEKIT_COPY = join(ROOT, `test/fixtures/sveltekit-app-e2e-${process.pid}`)

const FRAMEWORKS: Framework[] = [
  {
    name: 'SvelteKit (adapter-node)',
    dir: SVELTEKIT_COPY,
    build: [BIN.vite, 'build'],
    app: 'node build/index.js',
    dev: port => [BIN.vite, 'dev', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    secret: 'sk_sveltekit_secret_4c1e9a',
  },
  {
    name: 'React Router v7 (framework mode)',
    dir: join(ROOT, 'test/fixtures/react-router-app'),
    build: [BIN.reactRouter, 'build'],
    app: `node ${BIN.reactRouterServe} build/server/index.js`,
    dev: port => [BIN.reactRouter, 'dev', '--port', String(port), '--strictPort', '--host', '127.0.0.1'],
    secret: 'sk_react_router_secret_7d2f',
  },
  {
    name: 'Astro 5 (@astrojs/node, standalone)',
    dir: join(ROOT, 'test/fixtures/astro-app'),
    build: [BIN.astro, 'build'],
    app: 'node dist/server/entry.mjs',
    dev: port => [BIN.astro, 'dev', '--port', String(port), '--host', '127.0.0.1'],
    secret: 'sk_astro_secret_91ab3c',
  },
]

const ENV = { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' }

let browser: Browser

beforeAll(async () => {
  cpSync(join(ROOT, 'test/fixtures/sveltekit-app'), SVELTEKIT_COPY, { recursive: true, filter: src => !/[\\/](?:build|dist|\.svelte-kit)$/.test(src) })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  rmSync(SVELTEKIT_COPY, { recursive: true, force: true })
})

/** A process group of its own, its output kept; stopped by its pid's group. A string is a shell command. */
function start(args: string[] | string, cwd: string, env: Record<string, string> = {}): { child: ChildProcess, output: () => string } {
  const options = { cwd, env: { ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], detached: true }
  const child = typeof args === 'string' ? spawn(args, { ...options, shell: true }) : spawn(process.execPath, args, options)
  let output = ''
  child.stdout!.on('data', (c) => {
    output += c
  })
  child.stderr!.on('data', (c) => {
    output += c
  })
  return { child, output: () => output }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return
  const exited = new Promise(resolve => child.once('exit', resolve))
  try {
    process.kill(signal === 'SIGKILL' ? -child.pid : child.pid, signal)
  }
  catch {}
  await exited
}

/** Clicks until the page (hydrated, its dependencies optimized in dev) shows the function's answer. */
async function pageCalls(url: string): Promise<void> {
  const page = await browser.newPage()
  const failures: string[] = []
  page.on('pageerror', error => failures.push(error.message))
  try {
    await page.goto(url)
    await expect.poll(async () => {
      await page.click('#quote', { timeout: 2_000 }).catch(() => {})
      return page.locator('#total').textContent({ timeout: 2_000 }).catch(() => '')
    }, { timeout: 90_000, interval: 500 }).toBe('2400')
  }
  finally {
    await page.close()
  }
  expect(failures).toEqual([])
}

describe.each(FRAMEWORKS)('$name', (framework) => {
  it('built: femto up --app runs the services and the framework\'s server; the page\'s call works in Chromium', async () => {
    for (const folder of ['build', 'dist', '.svelte-kit', '.react-router'])
      rmSync(join(framework.dir, folder), { recursive: true, force: true })
    await promisify(execFile)(process.execPath, framework.build, { cwd: framework.dir, env: { ...ENV, NODE_ENV: 'production' } })
    expect(existsSync(join(framework.dir, 'dist/servers/femto.json'))).toBe(true)

    const up = start([CLI, 'up', 'dist', '--app', framework.app, '--port', '0', '--free-ports'], framework.dir)
    try {
      await expect.poll(() => /service\(s\) up; .*at (http:\/\/localhost:\d+)/.exec(up.output())?.[1], { timeout: 60_000 }).toBeDefined()
      const url = /service\(s\) up; .*at (http:\/\/localhost:\d+)/.exec(up.output())![1]!
      // The framework's server took the gateway's place: it serves the page and, through the handler, the calls.
      await pageCalls(url)

      // Straight to the service, without the token femto up gave the app: refused.
      const service = /price listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(up.output())![1]!
      const direct = await fetch(`${service}/femto/price`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["tee",2]' })
      expect(direct.status).toBe(401)
      expect((await direct.json()).error.code).toBe('UNAUTHORIZED')

      // Through the app, errors keep the wire's shape.
      const missing = await fetch(`${url}/femto/nope`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' })
      expect(missing.status).toBe(404)
      expect((await missing.json()).error.code).toBe('NOT_FOUND')

      // No service file is served by the framework, under any of the names it has in the build.
      for (const path of ['/servers/price.js', '/servers/router.js', '/servers/femto.json', '/price.js', '/router.js', '/femto.json', '/dist/servers/price.js', '/client/servers/price.js', '/_app/servers/price.js', '/assets/servers/price.js']) {
        const res = await fetch(`${url}${path}`)
        const text = await res.text()
        expect(res.status, path).not.toBe(200)
        expect(text, path).not.toContain(framework.secret)
      }

      // femto up stops the app with the services.
      await stop(up.child, 'SIGTERM')
      await expect(fetch(url)).rejects.toThrow()
    }
    finally {
      await stop(up.child)
    }
  }, 300_000)

  it('built, in one process: FEMTO_HANDLER_MODE=in-process runs the functions in the framework\'s server, no service started', async () => {
    expect(existsSync(join(framework.dir, 'dist/servers/router.js'))).toBe(true)
    const port = await freePort()
    const app = start(framework.app, framework.dir, { FEMTO_HANDLER_MODE: 'in-process', PORT: String(port), HOST: '127.0.0.1' })
    try {
      const url = `http://127.0.0.1:${port}`
      await expect.poll(() => fetch(url).then(res => res.status, () => 0), { timeout: 60_000, interval: 250 }).toBe(200)
      await pageCalls(url)
      const invalid = await fetch(`${url}/femto/price`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '["tee"]' })
      expect(invalid.status).toBe(400)
      expect((await invalid.json()).error.code).toBe('INVALID_ARGUMENT')
    }
    catch (error) {
      throw new Error(`${(error as Error).message}\n${app.output()}`)
    }
    finally {
      await stop(app.child)
    }
  }, 120_000)

  it('in dev: the page\'s call works in Chromium', async () => {
    const port = await freePort()
    const dev = start(framework.dev(port), framework.dir)
    try {
      const url = `http://127.0.0.1:${port}`
      await expect.poll(() => fetch(url).then(res => res.status, () => 0), { timeout: 60_000, interval: 250 }).toBe(200)
      await pageCalls(url)
    }
    catch (error) {
      throw new Error(`${(error as Error).message}\n${dev.output()}`)
    }
    finally {
      await stop(dev.child)
    }
  }, 240_000)
})
