// A function whose package is a native addon (better-sqlite3: JavaScript that loads a compiled
// .node binary through `bindings`): built, its service is its bundle plus the traced files of the
// package, and it runs from nothing else, as a process and as its generated image.
import type { Manifest, ManifestService } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printSummary } from '../../src/core/build/summary'
import { post, startNode, viteBuild } from '../helpers'
import { dockerAnswers, ensureStandinImages } from '../support/docker'

const APP = join(import.meta.dirname, '../fixtures/native-app')
const run = promisify(execFile)

let dist: string
let servers: string
let manifest: Manifest
let notes: ManifestService
const running: RunningProcess[] = []
const temporary: string[] = []

beforeAll(async () => {
  // Fails, not skips, without a daemon: .ci/run starts one.
  if (!dockerAnswers())
    throw new Error('these tests need a Docker daemon (docker info failed)')
  const images = ensureStandinImages()
  dist = await viteBuild(APP, 'dist', { deploy: { baseImage: images.node } })
  servers = join(dist, 'servers')
  manifest = JSON.parse(readFileSync(join(servers, 'femto.json'), 'utf8'))
  notes = manifest.services.find(s => s.name === 'addNote')!
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
  for (const dir of temporary)
    rmSync(dir, { recursive: true, force: true })
})

describe('a native addon in a function', () => {
  it('is left out of the bundle, which imports it by name', () => {
    const code = readFileSync(join(servers, notes.file), 'utf8')
    expect(code).toMatch(/from\s*["']better-sqlite3["']/)
    expect(code).not.toContain('better_sqlite3.node')
  })

  it('is listed in femto.json with the files shipped for it, which are in the servers folder', () => {
    expect(notes.native).toEqual(['better-sqlite3'])
    expect(notes.shipped).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node')
    expect(notes.shipped).toContain('node_modules/better-sqlite3/package.json')
    // Its dependencies are traced too: bindings finds the binary at run time.
    expect(notes.shipped).toContain('node_modules/bindings/bindings.js')
    // Only what runs: not its C sources, not its other binaries.
    expect(notes.shipped.some(f => f.includes('/src/') || f.endsWith('.cpp') || f.endsWith('.c'))).toBe(false)
    expect(notes.shipped).not.toContain('node_modules/better-sqlite3/build/Release/test_extension.node')
    for (const file of notes.shipped)
      expect(existsSync(join(servers, file)), file).toBe(true)
    // A service that does not import it ships nothing.
    expect(manifest.services.find(s => s.name === 'plain')).toMatchObject({ native: [], shipped: [] })
  })

  it('is shown in the build table', async () => {
    let table = ''
    await printSummary(manifest, servers, (text) => {
      table += text
    })
    expect(table).toMatch(/\bshipped\b/)
    expect(table).toMatch(new RegExp(`addNote\\.js .*better-sqlite3 in node_modules/ \\(${notes.shipped.length} files, [\\d.]+ (?:kB|MiB)\\)`))
    expect(table).toMatch(/plain\.js .* -$/m)
  })

  it('runs as a service from an empty folder holding only its bundle and its shipped files', async () => {
    const alone = mkdtempSync(join(tmpdir(), 'femto-native-'))
    temporary.push(alone)
    for (const file of [notes.file, ...notes.shipped]) {
      mkdirSync(dirname(join(alone, file)), { recursive: true })
      copyFileSync(join(servers, file), join(alone, file))
    }
    expect(readdirSync(alone).sort()).toEqual([notes.file, 'node_modules'].sort())
    const proc = await startNode(join(alone, notes.file), { cwd: alone })
    running.push(proc)
    const first = await post(`${proc.url}/femto/addNote`, ['first'])
    expect(first.status, first.text).toBe(200)
    expect(first.body).toEqual({ notes: [{ id: 1, text: 'first' }], sqlite: expect.stringMatching(/^3\.\d+\.\d+$/) })
    const second = await post(`${proc.url}/femto/addNote`, ['second'])
    expect(second.body.notes).toEqual([{ id: 1, text: 'first' }, { id: 2, text: 'second' }])
  })

  it('runs from the image built with its generated Dockerfile, which copies its shipped packages', async () => {
    const dockerfile = readFileSync(join(dist, 'deploy/docker/add-note.Dockerfile'), 'utf8')
    expect(dockerfile).toContain('COPY ["servers/node_modules/better-sqlite3","/app/node_modules/better-sqlite3"]')
    expect(dockerfile).toContain('COPY ["servers/node_modules/bindings","/app/node_modules/bindings"]')
    expect(readFileSync(join(dist, 'deploy/docker/plain.Dockerfile'), 'utf8')).not.toContain('node_modules')

    const image = `femto-native-test-${process.pid}:${notes.hash}`
    let container: string | undefined
    try {
      await run('docker', ['build', '-q', '-f', join(dist, 'deploy/docker/add-note.Dockerfile'), '-t', image, dist], { maxBuffer: 16 << 20 })
      container = (await run('docker', ['run', '-d', '-e', 'FEMTO_TOKEN=native-test-token', '-p', `127.0.0.1::${notes.port}`, image])).stdout.trim()
      const published = (await run('docker', ['port', container, String(notes.port)])).stdout.trim().split('\n')[0]!
      const url = `http://${published}`
      // Ready when it answers: the container's log says why if it never does.
      await expect.poll(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status, { timeout: 30_000, interval: 100 }).toBe(200)
      // As another service calls it: production images require the token (and an internal function the mark of a call from inside).
      const answer = await post(`${url}/femto/addNote`, ['in a container'], { 'content-type': 'application/json', 'authorization': 'Bearer native-test-token', 'x-femto-internal': '1' })
      expect(answer.status, answer.text).toBe(200)
      expect(answer.body.notes).toEqual([{ id: 1, text: 'in a container' }])
    }
    catch (error) {
      const logs = container ? await run('docker', ['logs', container]).then(r => r.stdout + r.stderr, () => '') : ''
      throw new Error(`${(error as Error).message}\ncontainer log:\n${logs}`)
    }
    finally {
      if (container)
        await run('docker', ['rm', '-f', container]).catch(() => {})
      await run('docker', ['rmi', '-f', image]).catch(() => {})
    }
  })
})
