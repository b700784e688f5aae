import type { Manifest } from '../../src/core/build/manifest'
import type { StubMeta } from '../../src/runtime'
import type { RunningProcess } from '../helpers'
import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callFemto, configureFemto } from '../../src/runtime'
import femto from '../../src/vite'
import { femtoUp, launchChromium, startNode, viteBuild } from '../helpers'

const APP = join(import.meta.dirname, '../fixtures/uploads-app')
const run = promisify(execFile)
const MB = 1024 * 1024

let dist: string
let manifest: Manifest
let work: string
const services = new Map<string, RunningProcess>()

async function service(name: string): Promise<RunningProcess> {
  const fn = manifest.functions.find(f => f.name === name)!
  let running = services.get(fn.service)
  if (!running) {
    // relayFile calls describeFile, relayForm signupForm: their stubs find them by FEMTO_URL_<NAME>.
    const env: Record<string, string> = name === 'relayFile' || name === 'relayForm' ? { FEMTO_URL_DESCRIBE_FILE: (await service('describeFile')).url, FEMTO_URL_SIGNUP_FORM: (await service('signupForm')).url } : {}
    running = await startNode(join(dist, 'servers', `${fn.service}.js`), { env })
    services.set(fn.service, running)
  }
  return running
}

function stub(name: string): (...args: unknown[]) => any {
  const fn = manifest.functions.find(f => f.name === name)!
  const meta: StubMeta = { name, route: fn.route, contract: fn.contract }
  return (...args: unknown[]) => callFemto(meta, args)
}

/** A file of random bytes in the test's folder, and its SHA-256. */
function randomFile(name: string, size: number): { path: string, sha256: string } {
  const path = join(work, name)
  const hash = createHash('sha256')
  const chunk = 4 * MB
  writeFileSync(path, '')
  for (let written = 0; written < size; written += chunk) {
    const bytes = randomBytes(Math.min(chunk, size - written))
    hash.update(bytes)
    writeFileSync(path, bytes, { flag: 'a' })
  }
  return { path, sha256: hash.digest('hex') }
}

/** Bytes the process has read through system calls so far (sockets included): Linux's /proc/<pid>/io. */
function bytesRead(pid: number): number {
  return Number(/rchar:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1])
}
function rssOf(pid: number): number {
  return Number(/VmRSS:\s*(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
}

async function curl(args: string[]): Promise<{ status: number, body: string }> {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args], { maxBuffer: 64 * MB })
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-uploads-'))
  dist = await viteBuild(APP, 'dist')
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
}, 120_000)

afterAll(async () => {
  for (const running of services.values())
    await running.stop()
  configureFemto({ baseUrl: '' })
  rmSync(work, { recursive: true, force: true })
})

describe('files into a service', () => {
  it('takes a file from curl -F with its name, type, size and bytes, and a text field beside it', async () => {
    const { url } = await service('describeFile')
    const file = randomFile('photo.png', 5 * MB)
    const answer = await curl(['-F', `file=@${file.path};type=image/png`, '-F', 'label=holiday', `${url}/femto/describeFile`])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ name: 'photo.png', type: 'image/png', size: 5 * MB, sha256: file.sha256, label: 'holiday' })
  })

  it('answers 413 to a 50 MB upload against a 1 MB limit as soon as it is over, and curl, reading the 413, stops sending', async () => {
    const running = await service('smallUpload')
    const file = randomFile('big.bin', 50 * MB)
    for (const chunked of [false, true]) {
      const before = bytesRead(running.proc.pid!)
      const answer = await curl(['-F', `file=@${file.path}`, ...(chunked ? ['-H', 'transfer-encoding: chunked'] : []), `${running.url}/femto/smallUpload`])
      const read = bytesRead(running.proc.pid!) - before
      console.log(`[uploads] 50 MB against 1 MB (${chunked ? 'chunked' : 'content-length'}): 413 after the service read ${(read / MB).toFixed(2)} MB`)
      expect(answer.status).toBe(413)
      expect(JSON.parse(answer.body).error.code).toBe('PAYLOAD_TOO_LARGE')
      // What was on its way when curl read the answer is read and dropped, not the 50 MB.
      expect(read).toBeLessThan(8 * MB)
    }
  })

  it('holds a file to fileLimit as it arrives', async () => {
    const { url } = await service('smallUpload')
    const file = randomFile('medium.bin', 700 * 1024)
    const answer = await curl(['-F', `file=@${file.path}`, `${url}/femto/smallUpload`])
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body).error.message).toMatch(/medium\.bin' is larger than the limit of 524288 bytes per file/)
    const small = randomFile('small.bin', 1000)
    expect(await curl(['-F', `file=@${small.path}`, `${url}/femto/smallUpload`])).toMatchObject({ status: 200, body: '1000' })
  })

  it('writes a 200 MB upload to disk with the service\'s memory raised by less than 20 MB', async () => {
    const running = await service('saveUpload')
    const pid = running.proc.pid!
    const file = randomFile('huge.bin', 200 * MB)
    // Warm: the first call loads what the path needs once.
    await curl(['-F', `file=@${randomFile('warm.bin', 1000).path}`, `${running.url}/femto/saveUpload`])
    const baseline = rssOf(pid)
    let peak = baseline
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid))
    }, 20)
    const answer = await curl(['-F', `file=@${file.path}`, `${running.url}/femto/saveUpload`]).finally(() => clearInterval(sampler))
    peak = Math.max(peak, rssOf(pid))
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body).size).toBe(200 * MB)
    console.log(`[uploads] 200 MB upload written to disk: RSS ${(baseline / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB (+${((peak - baseline) / MB).toFixed(1)} MB)`)
    expect(peak - baseline).toBeLessThan(20 * MB)
  }, 120_000)

  it('converts the fields of a plain urlencoded form per parameter type', async () => {
    const { url } = await service('signUp')
    const answer = await curl(['-d', 'name=Ada&age=36&subscribe=on&tags=a&tags=b&when=2026-12-02', `${url}/femto/signUp`])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ name: 'Ada', age: 36, subscribe: true, tags: ['a', 'b'], when: '2026-12-02T00:00:00.000Z' })
    const bad = await curl(['-d', 'name=Ada&age=old&subscribe=on', `${url}/femto/signUp`])
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error.message).toMatch(/'age' must be a number/)
    // A name repeated in the page's form, for a parameter of one value: said as such.
    const twice = await curl(['-d', 'name=Ada&name=Bob&age=36', `${url}/femto/signUp`])
    expect([twice.status, JSON.parse(twice.body).error]).toEqual([400, { code: 'INVALID_ARGUMENT', message: 'the form sent \'name\' 2 times, but signUp\'s parameter \'name\' takes one value' }])
  })
})

describe('a plain form post from a browser', () => {
  const navigate = ['-H', 'sec-fetch-mode: navigate', '-H', 'accept: text/html', '-D', '-']
  const locationOf = (headers: string): string => /^location: (.*)\r$/im.exec(headers)![1]!

  it('is answered 303 back to the page it came from, with the outcome in the query; never to another site', async () => {
    const { url } = await service('signUp')
    const host = new URL(url).host
    const back = await curl([...navigate, '-H', `referer: http://${host}/join?step=2&femto=old`, '-d', 'name=Ada&age=36', `${url}/femto/signUp`])
    expect(back.status).toBe(303)
    const landed = new URL(locationOf(back.body), 'http://x')
    expect([landed.pathname, Object.fromEntries(landed.searchParams)]).toEqual(['/join', { 'step': '2', 'femto': 'signUp', 'femto-status': 'ok', 'femto-result': '{"name":"Ada","age":36,"subscribe":false,"tags":[]}' }])
    const failed = await curl([...navigate, '-d', 'name=taken&age=1', `${url}/femto/signUp?redirect=/thanks`])
    const error = new URL(locationOf(failed.body), 'http://x')
    expect([failed.status, error.pathname, error.searchParams.get('femto-error'), error.searchParams.get('femto-message')]).toEqual([303, '/thanks', 'NAME_TAKEN', 'the name taken is taken'])
    for (const elsewhere of ['//evil.example/x', 'https://evil.example/']) {
      const answer = await curl([...navigate, '-H', 'referer: https://evil.example/page', '-d', 'name=Ada&age=1', `${url}/femto/signUp?redirect=${encodeURIComponent(elsewhere)}`])
      expect(locationOf(answer.body)).toMatch(/^\/\?femto=signUp/)
    }
    // Not a navigation (a stub, curl): the answer itself.
    expect((await curl(['-d', 'name=Ada&age=1', `${url}/femto/signUp`])).status).toBe(200)
  })

  it('over the body limit, still lands on a page in Chromium: the service reads the rest of what the browser sends', async () => {
    const { url } = await service('smallUpload')
    const up = await femtoUp(dist)
    const browser = await launchChromium()
    try {
      // Without the page's script, as before it loads: a plain post of a 20 MB file against 1 MB.
      const context = await browser.newContext({ javaScriptEnabled: false })
      for (const origin of [up.url, url]) {
        const page = await context.newPage()
        // The service's own origin serves no page: the same form, on a page of that origin.
        await page.goto(origin === up.url ? origin : `${origin}/healthz`)
        if (origin !== up.url)
          await page.setContent(`<form id="too-big" action="/femto/smallUpload" method="post" enctype="multipart/form-data"><input name="file" type="file"><button type="submit">Upload</button></form>`)
        await page.setInputFiles('#too-big input[type=file]', { name: 'big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(20 * MB) })
        await Promise.all([page.waitForURL(/femto-status=error/, { timeout: 30_000 }), page.click('#too-big button')])
        const landed = new URL(page.url())
        expect([origin === up.url ? 'through femto up' : 'straight to the service', landed.searchParams.get('femto'), landed.searchParams.get('femto-error')]).toEqual([origin === up.url ? 'through femto up' : 'straight to the service', 'smallUpload', 'PAYLOAD_TOO_LARGE'])
      }
      // A page's own fetch of the same through the gateway: the 413 itself (printed: how soon).
      const page = await browser.newPage()
      await page.goto(`${up.url}/healthz`)
      const fetched = await page.evaluate(async () => {
        const form = new FormData()
        form.append('file', new File([new Uint8Array(20 * 1024 * 1024)], 'big.bin'))
        const started = performance.now()
        const res = await fetch('/femto/smallUpload', { method: 'POST', body: form })
        return { status: res.status, code: (await res.json()).error.code, ms: Math.round(performance.now() - started) }
      })
      console.log(`[uploads] 20 MB fetch against 1 MB through femto up: ${fetched.status} after ${fetched.ms} ms`)
      expect([fetched.status, fetched.code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    }
    finally {
      await browser.close()
      await up.stop()
    }
  }, 90_000)

  it('through femto up\'s gateway, goes back to the page it came from too', async () => {
    // The gateway gives the service its own address as Host and the page's as X-Forwarded-Host.
    const up = await femtoUp(dist)
    try {
      const back = await curl([...navigate, '-H', `referer: ${up.url}/join?step=2`, '-d', 'name=Ada&age=36', `${up.url}/femto/signUp`])
      expect([back.status, locationOf(back.body).split('&')[0]], up.output()).toEqual([303, '/join?step=2'])
    }
    finally {
      await up.stop()
    }
  }, 60_000)
})

describe('stubs with bytes', () => {
  it('sends File and ReadableStream arguments as multipart (a Uint8Array in the rich encoding), and gets Blob and Uint8Array results back', async () => {
    for (const name of ['describeFile', 'byteSum', 'countStream', 'report', 'rawBytes'])
      await service(name)
    // One origin per service here: each call goes to its own.
    const call = async (name: string, ...args: unknown[]): Promise<any> => {
      configureFemto({ baseUrl: (await service(name)).url })
      return stub(name)(...args)
    }
    const bytes = randomBytes(3 * MB)
    const facts = await call('describeFile', new File([bytes], 'notes.txt', { type: 'text/plain' }), 'from a stub')
    expect(facts).toEqual({ name: 'notes.txt', type: 'text/plain', size: 3 * MB, sha256: createHash('sha256').update(bytes).digest('hex'), label: 'from a stub' })
    expect(await call('byteSum', new Uint8Array([1, 2, 3, 250]))).toBe(256)
    const stream = new Blob([bytes]).stream()
    expect(await call('countStream', stream, 'streamed')).toEqual({ bytes: 3 * MB, label: 'streamed' })
    const blob = await call('report', 'Q4') as Blob
    expect(blob).toBeInstanceOf(Blob)
    expect(blob.type).toBe('text/markdown')
    expect(await blob.text()).toBe('# Q4\n')
    const raw = await call('rawBytes', 300) as Uint8Array
    expect(raw).toBeInstanceOf(Uint8Array)
    expect([raw.length, raw[0], raw[299]]).toEqual([300, 0, 43])
  })

  it('holds a Uint8Array a stub sends to fileLimit, as a multipart part is', async () => {
    configureFemto({ baseUrl: (await service('smallBytes')).url })
    expect(await stub('smallBytes')(new Uint8Array(100 * 1024))).toBe(100 * 1024)
    const refused = await stub('smallBytes')(new Uint8Array(600 * 1024)).then(() => undefined, (error: unknown) => error)
    expect(refused).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413, message: expect.stringContaining('argument \'data\' holds 614400 bytes, over the limit of 524288 bytes per file') })
  })

  it('a service passes a file on to another through its service stub', async () => {
    const relay = await service('relayFile')
    const file = randomFile('relay.bin', 2 * MB)
    const answer = await curl(['-F', `file=@${file.path};type=application/pdf`, `${relay.url}/femto/relayFile`])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ name: 'relay.bin', type: 'application/pdf', size: 2 * MB, sha256: file.sha256, label: `relayed by ${relay.proc.pid}` })
  })

  it('streams a raw client\'s upload to a ReadableStream parameter while it arrives', async () => {
    const { url } = await service('countStream')
    const file = randomFile('stream.bin', 20 * MB)
    const answer = await curl(['-F', 'label=raw', '-F', `body=@${file.path}`, '-H', 'transfer-encoding: chunked', `${url}/femto/countStream`])
    expect(answer).toMatchObject({ status: 200 })
    expect(JSON.parse(answer.body)).toEqual({ bytes: 20 * MB, label: 'raw' })
  })

  it('answers a plain client\'s call of a function returning bytes with the bytes and their type', async () => {
    const json = ['-H', 'content-type: application/json', '-D', '-']
    const markdown = await curl([...json, '-d', '["Q4"]', `${(await service('report')).url}/femto/report`])
    expect(markdown.status).toBe(200)
    expect(markdown.body).toMatch(/^content-type: text\/markdown\r$/m)
    expect(markdown.body).toMatch(/^x-femto-bytes: Blob\r$/m)
    expect(markdown.body.endsWith('\r\n\r\n# Q4\n')).toBe(true)
    const raw = await fetch(`${(await service('rawBytes')).url}/femto/rawBytes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[300]' })
    expect([raw.headers.get('content-type'), raw.headers.get('content-length')]).toEqual(['application/octet-stream', '300'])
    expect([...new Uint8Array(await raw.arrayBuffer())].slice(0, 3)).toEqual([0, 1, 2])
  })

  it('documents multipart request bodies and binary answers in openapi.json', async () => {
    const { url } = await service('describeFile')
    const doc = await (await fetch(`${url}/openapi.json`)).json() as any
    const operation = doc.paths['/femto/describeFile'].post
    expect(operation.requestBody.content['multipart/form-data'].schema.properties.file).toMatchObject({ type: 'string', contentMediaType: 'application/octet-stream' })
    const download = (await (await fetch(`${(await service('report')).url}/openapi.json`)).json() as any).paths['/femto/report'].post
    expect(Object.keys(download.responses['200'].content)).toEqual(['application/octet-stream'])
  })
})

describe('a FormData parameter', () => {
  it('gets the whole form from curl -F: text fields, repeated fields and a file, spooled like a File parameter\'s', async () => {
    const { url } = await service('signupForm')
    const file = randomFile('avatar.png', 2 * MB)
    const answer = await curl(['-F', 'name=Ada', '-F', 'tags=a', '-F', 'tags=b', '-F', `avatar=@${file.path};type=image/png`, `${url}/femto/signupForm`])
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ name: 'Ada', tags: ['a', 'b'], keys: ['name', 'tags', 'avatar'], avatar: { name: 'avatar.png', type: 'image/png', size: 2 * MB, sha256: file.sha256 } })
    // A plain urlencoded form too.
    const plain = await curl(['-d', 'name=Bo&tags=x', `${url}/femto/signupForm`])
    expect(JSON.parse(plain.body)).toEqual({ name: 'Bo', tags: ['x'], keys: ['name', 'tags'], avatar: null })
  })

  it('is sent by the stub as the multipart body as it is', async () => {
    configureFemto({ baseUrl: (await service('signupForm')).url })
    const bytes = randomBytes(MB)
    const form = new FormData()
    form.append('name', 'Cy')
    form.append('avatar', new File([bytes], 'me.jpg', { type: 'image/jpeg' }))
    form.append('tags', 'z')
    expect(await stub('signupForm')(form)).toEqual({ name: 'Cy', tags: ['z'], keys: ['name', 'avatar', 'tags'], avatar: { name: 'me.jpg', type: 'image/jpeg', size: MB, sha256: createHash('sha256').update(bytes).digest('hex') } })
  })

  it('is passed on by a service to another through its service stub, files and all', async () => {
    const relay = await service('relayForm')
    const file = randomFile('relayed.png', 3 * MB)
    const answer = await curl(['-F', 'name=Di', '-F', `avatar=@${file.path};type=image/png`, '-F', 'tags=r', `${relay.url}/femto/relayForm`])
    expect(JSON.parse(answer.body)).toEqual({ name: 'Di', tags: ['r'], keys: ['name', 'avatar', 'tags'], avatar: { name: 'relayed.png', type: 'image/png', size: 3 * MB, sha256: file.sha256 } })
  })

  it('is refused in a JSON body, and documented as a form body with free-form fields', async () => {
    const { url } = await service('signupForm')
    const json = await curl(['-H', 'content-type: application/json', '-d', '{"form":{"name":"x"}}', `${url}/femto/signupForm`])
    expect(json.status).toBe(400)
    expect(JSON.parse(json.body).error.message).toMatch(/expected FormData/)
    const doc = await (await fetch(`${url}/openapi.json`)).json() as any
    const content = doc.paths['/femto/signupForm'].post.requestBody.content
    expect(Object.keys(content)).toEqual(['multipart/form-data', 'application/x-www-form-urlencoded'])
    expect(content['multipart/form-data'].schema).toMatchObject({ type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'string', contentMediaType: 'application/octet-stream' }] } })
  })
})

/** A multipart body written by hand, as a client no one here wrote would (Python's urllib, a shell script). */
function multipart(boundary: string, parts: { name: string, filename?: string, type?: string, body: string | Buffer }[], close = true): Buffer {
  const pieces = parts.flatMap(part => [
    `--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}\r\n${part.type ? `content-type: ${part.type}\r\n` : ''}\r\n`,
    part.body,
    '\r\n',
  ])
  return Buffer.concat([...pieces, close ? `--${boundary}--\r\n` : ''].map(piece => Buffer.from(piece)))
}

async function post(url: string, body: Buffer, contentType: string): Promise<{ status: number, json: any }> {
  const response = await fetch(url, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': contentType } })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  }
  catch {
    json = text
  }
  return { status: response.status, json }
}

/** The descriptors the process holds open on upload spool files (deleted or not). */
function openSpoolFiles(pid: number): number {
  let count = 0
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).includes('femto-upload-'))
        count++
    }
    catch {
      // Closed meanwhile.
    }
  }
  return count
}

describe('bad uploads', () => {
  it('answers every malformed or mismatched multipart body with a 4xx JSON error, and keeps serving', async () => {
    const running = await service('describeFile')
    const url = `${running.url}/femto/describeFile`
    const form = (parts: Parameters<typeof multipart>[1], close?: boolean): [Buffer, string] => [multipart('b0undary', parts, close), 'multipart/form-data; boundary=b0undary']
    const file = { name: 'file', filename: 'a.txt', body: 'hello' }
    const label = { name: 'label', body: 'x' }
    const cases: [what: string, body: Buffer, type: string, status: number, message: RegExp][] = [
      ['a text field where a File is expected', ...form([{ name: 'file', body: 'not a file' }, label]), 400, /\$\.file: expected File/],
      ['a file in a field no parameter names', ...form([file, label, { name: 'extra', filename: 'b.txt', body: 'b' }]), 400, /has no parameter 'extra'/],
      ['a body without its closing boundary', ...form([file, label], false), 400, /ended before its closing boundary/],
      ['a body cut off inside a file', Buffer.from('--b0undary\r\ncontent-disposition: form-data; name="file"; filename="a"\r\n\r\nabc'), 'multipart/form-data; boundary=b0undary', 400, /ended before its closing boundary/],
      ['a boundary other than the one the body uses', multipart('other', [file, label]), 'multipart/form-data; boundary=b0undary', 400, /malformed/],
      ['multipart without a boundary', multipart('b0undary', [file, label]), 'multipart/form-data', 415, /needs a boundary/],
      ['a part without content-disposition', Buffer.from('--b0undary\r\ncontent-type: text/plain\r\n\r\nx\r\n--b0undary--\r\n'), 'multipart/form-data; boundary=b0undary', 400, /no content-disposition/],
      ['an empty body', Buffer.alloc(0), 'multipart/form-data; boundary=b0undary', 400, /malformed/],
      ['a JSON part that does not decode', ...form([file, { name: 'label', type: 'application/json', body: '{bad' }]), 400, /the field 'label' does not decode/],
    ]
    for (const [what, body, type, status, message] of cases) {
      const answer = await post(url, body, type)
      expect([what, answer.status], JSON.stringify(answer.json)).toEqual([what, status])
      expect(answer.json.error.message, what).toMatch(message)
    }
    // A hand-written body of the right shape is taken, file name and all.
    const good = await post(url, ...form([{ ...file, filename: 'h\u00E9llo \u2713.txt', type: 'text/plain' }, label]))
    expect(good).toMatchObject({ status: 200, json: { name: 'héllo ✓.txt', type: 'text/plain', size: 5, label: 'x' } })
    // The failed calls left no spool file open (a truncated body kept its file's descriptor, and its disk space, for good).
    await expect.poll(() => openSpoolFiles(running.proc.pid!)).toBe(0)
  })

  it('closes the spool file of a caller that went away mid-file', async () => {
    const running = await service('describeFile')
    const { port } = new URL(running.url)
    const socket = connect(Number(port), '127.0.0.1')
    await new Promise(resolve => socket.once('connect', resolve))
    const head = '--b0undary\r\ncontent-disposition: form-data; name="file"; filename="gone.bin"\r\n\r\n'
    socket.write(`POST /femto/describeFile HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: multipart/form-data; boundary=b0undary\r\ncontent-length: ${10 * MB}\r\n\r\n${head}`)
    socket.write(randomBytes(MB))
    await expect.poll(() => openSpoolFiles(running.proc.pid!)).toBe(1)
    socket.destroy()
    await expect.poll(() => openSpoolFiles(running.proc.pid!)).toBe(0)
    const small = randomFile('after.bin', 10)
    expect((await curl(['-F', `file=@${small.path}`, '-F', 'label=after', `${running.url}/femto/describeFile`])).status).toBe(200)
  })

  it('refuses a body of more than 1000 parts with 413, and keeps serving', async () => {
    const { url } = await service('gallery')
    const many = Array.from({ length: 1001 }, (_, i) => ({ name: 'photos', filename: `${i}.png`, body: '' }))
    const answer = await post(`${url}/femto/gallery`, multipart('b0undary', [...many, { name: 'caption', body: 'c' }]), 'multipart/form-data; boundary=b0undary')
    expect(answer).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'the multipart body has more than 1000 parts' } } })
    const fine = await post(`${url}/femto/gallery`, multipart('b0undary', [...many.slice(0, 3), { name: 'caption', body: 'c' }]), 'multipart/form-data; boundary=b0undary')
    expect(fine).toMatchObject({ status: 200, json: ['c: 0.png (0 bytes)', 'c: 1.png (0 bytes)', 'c: 2.png (0 bytes)'] })
  })

  it('gives the function a file name without the folders a client put before it', async () => {
    const { url } = await service('describeFile')
    const names: [sent: string, got: string][] = [['../../etc/passwd', 'passwd'], ['/abs/x.txt', 'x.txt'], ['dir/..', ''], ['..', ''], ['C:\\docs\\cv.pdf', 'cv.pdf'], ['plain.txt', 'plain.txt']]
    for (const [sent, got] of names) {
      const answer = await post(`${url}/femto/describeFile`, multipart('b0undary', [{ name: 'file', filename: sent, body: 'abc' }, { name: 'label', body: 'x' }]), 'multipart/form-data; boundary=b0undary')
      expect([sent, answer.json.name]).toEqual([sent, got])
    }
  })

  it('refuses a part after a stream parameter\'s part, which the running function would never see', async () => {
    const { url } = await service('countStream')
    const answer = await post(`${url}/femto/countStream`, multipart('b0undary', [{ name: 'body', filename: 'b', body: 'x'.repeat(1000) }, { name: 'label', body: 'late' }]), 'multipart/form-data; boundary=b0undary')
    expect(answer).toMatchObject({ status: 400, json: { error: { code: 'INVALID_ARGUMENT' } } })
    expect(answer.json.error.message).toMatch(/the part 'label' comes after the stream part/)
    const inOrder = await post(`${url}/femto/countStream`, multipart('b0undary', [{ name: 'label', body: 'early' }, { name: 'body', filename: 'b', body: 'x'.repeat(1000) }]), 'multipart/form-data; boundary=b0undary')
    expect(inOrder).toMatchObject({ status: 200, json: { bytes: 1000, label: 'early' } })
  })
})

describe('bytes in arrays and objects', () => {
  it('takes File[] as repeated parts, from curl -F and from the stub, in their order', async () => {
    const { url } = await service('gallery')
    const a = randomFile('a.jpg', 300 * 1024)
    const b = randomFile('b.jpg', 1000)
    const answer = await curl(['-F', `photos=@${a.path}`, '-F', `photos=@${b.path}`, '-F', 'caption=trip', `${url}/femto/gallery`])
    expect(JSON.parse(answer.body)).toEqual(['trip: a.jpg (307200 bytes)', 'trip: b.jpg (1000 bytes)'])
    configureFemto({ baseUrl: url })
    expect(await stub('gallery')([new File([randomBytes(5000)], 'c.png'), new File(['x'], 'd.png')], 'stub')).toEqual(['stub: c.png (5000 bytes)', 'stub: d.png (1 bytes)'])
  })

  it('fails the build where bytes cannot travel: a File inside an object, a FormData beside other parameters', async () => {
    const cases = [
      ['export interface Doc { title: string, attachment: File }\nexport async function save(doc: Doc) {\n  \'use femto\'\n}\n', 'src/api.ts:2:33', /parameter 'doc' holds a File at \$\.attachment: bytes travel as a multipart part of their own.*Make it a parameter of its own/, '> 2 | export async function save(doc: Doc)'],
      ['export async function signup(form: FormData, plan: string) {\n  \'use femto\'\n}\n', 'src/api.ts:1:36', /parameter 'form' is a FormData, which gets the whole form, beside other parameters\. Make it the function's only parameter/, '> 1 | export async function signup'],
      ['export async function pick(): Promise<{ cover: Blob }> {\n  \'use femto\'\n  return { cover: new Blob() }\n}\n', 'src/api.ts:1:31', /the result holds a Blob at \$\.cover/, '> 1 | export async function pick'],
    ] as const
    for (const [source, where, message, frame] of cases) {
      const root = mkdtempSync(join(tmpdir(), 'femto-bytes-placement-'))
      mkdirSync(join(root, 'src'))
      writeFileSync(join(root, 'index.html'), '<script type="module" src="/src/main.ts"></script>\n')
      writeFileSync(join(root, 'src/main.ts'), 'import * as api from \'./api\'\nconsole.log(api)\n')
      writeFileSync(join(root, 'src/api.ts'), source)
      // Twice: the second build reads the schemas from the cache, and fails the same.
      for (const _ of [1, 2]) {
        const thrown: any = await viteBuild(root, 'dist').then(() => undefined, e => e)
        const error = thrown?.errors?.[0] ?? thrown
        expect(error?.message).toContain(where)
        expect(error.message).toMatch(message)
        expect(error.frame).toContain(frame)
      }
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('uploads of a killed service', () => {
  it('are removed by the next service to start: a SIGKILL mid-upload leaves its file, the restart removes it', async () => {
    const uploads = join(work, 'spool')
    mkdirSync(uploads)
    const fn = manifest.functions.find(f => f.name === 'describeFile')!
    const file = join(dist, 'servers', `${fn.service}.js`)
    const env = { FEMTO_UPLOAD_DIR: uploads }
    const first = await startNode(file, { env })
    const big = randomFile('slow.bin', 20 * MB)
    // A slow upload: the service writes what arrived to its spool file while the rest trickles in.
    const upload = spawn('curl', ['-sS', '--limit-rate', '200k', '-F', `file=@${big.path}`, `${first.url}/femto/describeFile`], { stdio: 'ignore' })
    try {
      await expect.poll(() => readdirSync(uploads).length).toBe(1)
      const [leftover] = readdirSync(uploads)
      expect(leftover).toMatch(new RegExp(`^femto-upload-[0-9a-f]{8}-${first.proc.pid}-`))
      // Readable by the service's user only: other users of the machine can list the temporary folder.
      expect(statSync(join(uploads, leftover!)).mode & 0o777).toBe(0o600)
      await first.stop('SIGKILL')
    }
    finally {
      upload.kill()
    }
    expect(readdirSync(uploads)).toHaveLength(1)
    // Kept: a file of a process that runs (this one), and one of another machine sharing the folder.
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    const running = `femto-upload-${tag}-${process.pid}-1-00000000`
    const elsewhere = `femto-upload-${tag === '00000000' ? '11111111' : '00000000'}-${first.proc.pid}-1-00000000`
    writeFileSync(join(uploads, running), '')
    writeFileSync(join(uploads, elsewhere), '')
    const second = await startNode(file, { env })
    try {
      await expect.poll(() => readdirSync(uploads).sort()).toEqual([elsewhere, running].sort())
    }
    finally {
      await second.stop()
    }
  })
})

describe('uploads under vite dev', () => {
  it('takes a File, a FormData and File[] through the dev server as a built service does', async () => {
    const root = mkdtempSync(join(tmpdir(), 'femto-uploads-dev-'))
    cpSync(APP, root, { recursive: true, filter: src => !/[\\/]dist[^\\/]*$/.test(src) })
    const level = process.env.FEMTO_LOG_LEVEL
    process.env.FEMTO_LOG_LEVEL = 'warn'
    // A killed dev server's upload (a process that has exited): removed when this one starts serving, as a service does.
    const uploads = join(root, 'spool')
    mkdirSync(uploads)
    const exited = spawn(process.execPath, ['-e', ''])
    await new Promise(resolve => exited.once('exit', resolve))
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    writeFileSync(join(uploads, `femto-upload-${tag}-${exited.pid}-0a1b2c3d-1`), 'left')
    process.env.FEMTO_UPLOAD_DIR = uploads
    const server = await createServer({ root, configFile: false, logLevel: 'silent', plugins: [femto({ summary: false })], server: { port: 0, host: '127.0.0.1' } })
    try {
      await server.listen()
      const url = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
      const photo = randomFile('dev.png', 3 * MB)
      const described = await curl(['-F', `file=@${photo.path};type=image/png`, '-F', 'label=dev', `${url}/femto/describeFile`])
      expect([described.status, JSON.parse(described.body)]).toEqual([200, { name: 'dev.png', type: 'image/png', size: 3 * MB, sha256: photo.sha256, label: 'dev' }])
      const form = await curl(['-F', 'name=Dev', '-F', `avatar=@${photo.path};type=image/png`, `${url}/femto/signupForm`])
      expect(JSON.parse(form.body)).toEqual({ name: 'Dev', tags: [], keys: ['name', 'avatar'], avatar: { name: 'dev.png', type: 'image/png', size: 3 * MB, sha256: photo.sha256 } })
      configureFemto({ baseUrl: url })
      expect(await stub('gallery')([new File(['abc'], 'x.png')], 'dev')).toEqual(['dev: x.png (3 bytes)'])
      // A plain form's fields are converted per parameter type, as by a built service.
      const plain = await curl(['-d', 'name=Ada&age=36&subscribe=on&tags=a', `${url}/femto/signUp`])
      expect(JSON.parse(plain.body)).toEqual({ name: 'Ada', age: 36, subscribe: true, tags: ['a'] })
      await expect.poll(() => readdirSync(uploads)).toEqual([])
    }
    finally {
      delete process.env.FEMTO_UPLOAD_DIR
      if (level === undefined)
        delete process.env.FEMTO_LOG_LEVEL
      else
        process.env.FEMTO_LOG_LEVEL = level
      await server.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})
