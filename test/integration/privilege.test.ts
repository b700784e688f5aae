import type { RolldownWatcher } from 'rolldown'
import type { Manifest } from '../../src/core/build/manifest'
import type { Running } from '../../src/up/up'
import type { RunningProcess } from '../helpers'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SwaggerParser from '@apidevtools/swagger-parser'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { up } from '../../src/up/up'
import femto from '../../src/vite'
import { post, startNode, viteBuild } from '../helpers'

// Least privilege on real processes: the exposure-app's page imports getPrice (public), which
// calls priceOf (imported by no client module: internal).

const FIXTURE = join(import.meta.dirname, '../fixtures/exposure-app')
const TOKEN = 'privilege-token-41c9'
const JSON_TYPE = { 'content-type': 'application/json' }

let work: string
let dist: string
const running: RunningProcess[] = []
let femtoUp: Running | undefined

async function start(name: string, env: Record<string, string>): Promise<RunningProcess> {
  const proc = await startNode(join(dist, 'servers', `${name}.js`), { env })
  running.push(proc)
  return proc
}

/** Runs a service to its exit (bounded): its code and all it printed. */
function runToExit(name: string, env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dist, 'servers', `${name}.js`)], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c) => {
      output += c
    })
    child.stderr.on('data', (c) => {
      output += c
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} neither started nor exited:\n${output}`))
    }, 15_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-privilege-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  dist = await viteBuild(work, 'dist')
})

afterAll(async () => {
  await femtoUp?.close()
  await Promise.all(running.map(p => p.stop('SIGKILL')))
  rmSync(work, { recursive: true, force: true })
})

describe('a service in production needs a token', () => {
  it('exits 1 with one line saying why when NODE_ENV=production and FEMTO_TOKEN is unset', async () => {
    const { code, output } = await runToExit('getPrice', { NODE_ENV: 'production', FEMTO_TOKEN: '', FEMTO_ALLOW_NO_TOKEN: '' })
    expect(code).toBe(1)
    expect(output.trim()).toBe('[femto] getPrice cannot start: NODE_ENV=production and FEMTO_TOKEN is not set. Set FEMTO_TOKEN (one secret shared by the services and the gateway; femto deploy writes one), or FEMTO_ALLOW_NO_TOKEN=1 to run without it')
  })

  it('starts with FEMTO_ALLOW_NO_TOKEN=1, warning that it is open', async () => {
    const service = await start('getPrice', { NODE_ENV: 'production', FEMTO_TOKEN: '', FEMTO_ALLOW_NO_TOKEN: '1' })
    expect(service.output()).toContain('[femto] getPrice: warning: running in production without FEMTO_TOKEN (FEMTO_ALLOW_NO_TOKEN=1)')
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
    await service.stop()
  })

  it('starts with a token in production, and without one outside production, as before', async () => {
    const withToken = await start('getPrice', { NODE_ENV: 'production', FEMTO_TOKEN: TOKEN })
    expect(withToken.output()).not.toContain('warning')
    await withToken.stop()
    const plain = await start('getPrice', { NODE_ENV: '', FEMTO_TOKEN: '' })
    expect(plain.output()).not.toContain('warning')
    await plain.stop()
  })
})

describe('an internal function answers only other femto services', () => {
  it('refuses a call straight to its service without the token (401) and with the token but from outside (403), with JSON; its caller gets through', async () => {
    const priceOf = await start('priceOf', { FEMTO_TOKEN: TOKEN })
    const getPrice = await start('getPrice', { FEMTO_TOKEN: TOKEN, FEMTO_URL_PRICE_OF: priceOf.url })

    const anonymous = await post(`${priceOf.url}/femto/priceOf`, ['apple'])
    expect(anonymous.status).toBe(401)
    expect(anonymous.body).toMatchObject({ error: { code: 'UNAUTHORIZED' } })

    // What a gateway forwards: the token, without the mark of a call from inside.
    const outside = await post(`${priceOf.url}/femto/priceOf`, ['apple'], { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` })
    expect(outside.status).toBe(403)
    expect(outside.headers.get('content-type')).toContain('application/json')
    expect(outside.body).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.stringContaining('priceOf is internal') } })

    // getPrice is public: the same call from outside runs, and its own call of priceOf goes through.
    const price = await post(`${getPrice.url}/femto/getPrice`, ['apple'], { ...JSON_TYPE, authorization: `Bearer ${TOKEN}` })
    expect(price.status, price.text).toBe(200)
    expect(price.body).toEqual({ sku: 'apple', price: 3 })
  })

  it('femto up\'s gateway routes only public functions; the app works through it', async () => {
    let said = ''
    femtoUp = await up({ outDir: dist, port: 0, freePorts: true, out: { write: (text: string) => Boolean(said += text) } as unknown as NodeJS.WritableStream })
    const refused = await post(`${femtoUp.url}/femto/priceOf`, ['apple'])
    expect(refused.status).toBe(404)
    // The caller learns nothing of it; whoever runs femto up is told why, once.
    expect(refused.body).toEqual({ error: { code: 'NOT_FOUND', message: 'no femto function at /femto/priceOf' } })
    await post(`${femtoUp.url}/femto/priceOf`, ['apple'])
    expect(said.match(/\/femto\/priceOf: 404 at the gateway: priceOf is internal \(no client code imports its module\), so only other services may call it\. To publish it, give it the policy 'femto exposure=public'/g)).toHaveLength(1)
    // Public by policy though the page does not import it.
    expect((await post(`${femtoUp.url}/femto/paymentWebhook`, ['paid'])).body).toEqual({ received: 'paid' })
    const price = await post(`${femtoUp.url}/femto/getPrice`, ['pear'])
    expect(price.status, price.text).toBe(200)
    expect(price.body).toEqual({ sku: 'pear', price: 4 })
    // Straight to the internal function's service, past the gateway: refused too (femto up gives its services a token).
    const direct = await post(`http://127.0.0.1:${femtoUp.ports.get('priceOf')}/femto/priceOf`, ['apple'])
    expect(direct.status).toBe(401)
    // Its document and docs page describe only what it routes, and stay a valid document.
    const manifest: Manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
    const document = await (await fetch(`${femtoUp.url}/openapi.json`)).json()
    expect(Object.keys(document.paths).sort()).toEqual(manifest.functions.filter(fn => fn.exposure === 'public').map(fn => fn.route).sort())
    expect(JSON.stringify(document)).not.toMatch(/"operationId":"(?:priceOf|nightlyReport|wipeCache)"/)
    await SwaggerParser.validate(structuredClone(document))
  })
})

describe('vite build --watch', () => {
  it('makes a function internal again on the rebuild after the page stops importing its module', async () => {
    const root = mkdtempSync(join(tmpdir(), 'femto-privilege-watch-'))
    cpSync(FIXTURE, root, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
    // The services follow each client build (closeBundle): femto.json is the signal.
    const exposure = (): Record<string, string | undefined> | undefined => {
      const file = join(root, 'dist/servers/femto.json')
      if (!existsSync(file))
        return undefined
      const manifest: Manifest = JSON.parse(readFileSync(file, 'utf8'))
      return Object.fromEntries(manifest.functions.filter(fn => fn.name === 'getPrice' || fn.name === 'nightlyReport').map(fn => [fn.name, fn.exposure]))
    }
    const watcher = await build({ root, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false, types: false })], build: { watch: {} } }) as RolldownWatcher
    let failure: unknown
    let stopping = false
    // Each build's close runs its closeBundle hooks (the services): awaited before the folder goes.
    // A save can come as two change events, so one more rebuild may end as the test stops: its
    // outcome is not this test's (it writes into a folder about to go).
    const closing: Promise<unknown>[] = []
    watcher.on('event', (event) => {
      if (event.code === 'ERROR' && !stopping)
        failure = event.error
      if ((event.code === 'ERROR' || event.code === 'BUNDLE_END') && event.result) {
        closing.push(event.result.close().catch((error: unknown) => {
          if (!stopping)
            failure ??= error
        }))
      }
    })
    try {
      await expect.poll(() => failure ?? exposure(), { timeout: 60_000 }).toEqual({ getPrice: 'public', nightlyReport: 'internal' })
      writeFileSync(join(root, 'src/main.ts'), 'import { wipeCache } from \'./admin\'\n\ndocument.getElementById(\'wipe\')?.addEventListener(\'click\', () => void wipeCache())\n')
      await expect.poll(() => failure ?? exposure(), { timeout: 60_000 }).toEqual({ getPrice: 'internal', nightlyReport: 'internal' })
    }
    finally {
      stopping = true
      await watcher.close()
      for (let closed = closing.shift(); closed; closed = closing.shift())
        await closed
      rmSync(root, { recursive: true, force: true })
    }
  }, 120_000)
})
