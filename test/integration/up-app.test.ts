import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBuilder } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import femtoVite from '../../src/vite'

// `femto up <outDir> --app "<command>"` with a framework-free app: node:http in front of
// unplugin-femto/handler, as any server that speaks Request/Response would use it.

const ROOT = join(import.meta.dirname, '../..')
const CLI = join(ROOT, 'dist/cli.js')

let root: string
const started: ChildProcess[] = []

const APP = `
import { createServer } from 'node:http'
import { Readable } from 'node:stream'
import { createFemtoHandler } from ${JSON.stringify(join(ROOT, 'dist/runtime/handler.js'))}

const femto = createFemtoHandler()
createServer(async (req, res) => {
  if (req.url === '/env') {
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('FEMTO_') || name === 'PORT' || name === 'HOST'))
    return res.end(JSON.stringify(env))
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : Readable.toWeb(req)
  const request = new Request('http://' + req.headers.host + req.url, { method: req.method, headers: req.headers, body, duplex: 'half' })
  const response = await femto(request)
  if (!response)
    return res.writeHead(404).end('the app\\'s own 404')
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(Buffer.from(await response.arrayBuffer()))
}).listen(Number(process.env.PORT), process.env.HOST, () => console.log('app listening on ' + process.env.PORT))
`

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'femto-up-app-'))
  mkdirSync(join(root, 'src'))
  writeFileSync(join(root, 'index.html'), '<script type="module" src="/src/main.ts"></script>\n')
  writeFileSync(join(root, 'src/main.ts'), 'import { quote } from \'./quote\'\n\nvoid quote(2)\n')
  writeFileSync(join(root, 'src/quote.ts'), 'export async function quote(qty: number) {\n  \'use femto\'\n  return { total: qty * 10 }\n}\n')
  writeFileSync(join(root, 'app.mjs'), APP)
  writeFileSync(join(root, 'exits.mjs'), 'import { createServer } from \'node:http\'\ncreateServer((q, s) => s.end()).listen(Number(process.env.PORT), process.env.HOST)\nsetTimeout(() => process.exit(3), 500)\n')
  const builder = await createBuilder({ root, configFile: false, logLevel: 'silent', plugins: [femtoVite({ summary: false })] })
  await builder.buildApp()
})

afterAll(async () => {
  await Promise.all(started.map(child => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve()
    child.once('exit', () => resolve())
    process.kill(-child.pid!, 'SIGKILL')
  })))
  rmSync(root, { recursive: true, force: true })
})

function femtoUp(app: string): { child: ChildProcess, output: () => string, exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'up', 'dist', '--app', app, '--port', '0', '--free-ports'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  started.push(child)
  let output = ''
  child.stdout!.on('data', (c) => {
    output += c
  })
  child.stderr!.on('data', (c) => {
    output += c
  })
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, output: () => output, exited }
}

describe('femto up --app', () => {
  it('starts the app in the gateway\'s place, with the services\' addresses and token; calls go through the handler', async () => {
    const up = femtoUp('node app.mjs')
    await expect.poll(() => /service\(s\) up; the app at (http:\/\/localhost:\d+)/.exec(up.output())?.[1], { timeout: 30_000, message: `femto up did not say the app is up:\n${up.output()}` }).toBeDefined()
    const url = /the app at (http:\/\/localhost:\d+)/.exec(up.output())![1]!
    expect(up.output()).not.toMatch(/gateway at/)
    expect(up.output()).toMatch(/^app\s+\| app listening on \d+$/m)

    const env = await (await fetch(`${url}/env`)).json()
    expect(env.FEMTO_URL_QUOTE).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(env.FEMTO_TOKEN).toMatch(/^[0-9a-f]{48}$/)
    expect(env.FEMTO_MANIFEST).toBe(join(root, 'dist/servers/femto.json'))
    expect(env.HOST).toBe('127.0.0.1')
    expect(url).toContain(`:${env.PORT}`)

    const answer = await fetch(`${url}/femto/quote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[3]' })
    expect(await answer.json()).toEqual({ total: 30 })
    const direct = await fetch(`${env.FEMTO_URL_QUOTE}/femto/quote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[3]' })
    expect(direct.status).toBe(401)
    expect(await (await fetch(`${url}/about`)).text()).toBe('the app\'s own 404')

    // Stopping femto up stops the app too.
    up.child.kill('SIGTERM')
    expect(await up.exited).toBe(0)
    await expect(fetch(`${url}/env`)).rejects.toThrow()
  })

  it('the app exiting stops femto up with the app\'s exit code', async () => {
    const up = femtoUp('node exits.mjs')
    expect(await up.exited).toBe(3)
    expect(up.output()).toMatch(/the app exited \(code 3\); stopping the services/)
  })

  it('an app that exits before it answers: exit code 1 and one line saying so', async () => {
    const up = femtoUp('node -e "console.error(\'no config\'); process.exit(2)"')
    expect(await up.exited).toBe(1)
    expect(up.output()).toMatch(/^femto: femto up: the app \(.*\) exited \(code 2\) before it answered on http:\/\/127\.0\.0\.1:\d+\/\. Its output:\nno config$/m)
  })
})
