import type { Manifest } from '../../src/core/build/manifest'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { post, startNode, viteBuild } from '../helpers'

// The services' files kept between builds (src/core/build/bundle-cache.ts), against real `vite
// build`s: a build in which nothing changed takes every service's file from the cache, byte for
// byte what rolldown made; an edit makes every file again. To tell the two apart, the test puts a
// marker into each kept file after a build: a service file that shows it came from the cache.

const FIXTURE = join(import.meta.dirname, '../fixtures/roll-app')
const MARKER = '// kept by the bundle cache\n'

let dir: string
const servers = (): string => join(dir, 'dist/servers')
const keptFolder = (): string => join(dir, 'node_modules/.cache/unplugin-femto/bundles')
const serviceFiles = (): string[] => readdirSync(servers()).filter(name => name.endsWith('.js')).sort()
const contents = (): Record<string, string> => Object.fromEntries(serviceFiles().map(name => [name, readFileSync(join(servers(), name), 'utf8')]))

const kept = (): string[] => readdirSync(keptFolder()).filter(name => !name.endsWith('.key')).sort()

/**
 * Appends MARKER to every kept file, its key unchanged and its content's hash made to match (the
 * cache checks it). A kept file is a hard link to the output it was written as: a new file
 * replaces it first, so the output folder keeps what rolldown made.
 */
function mark(): void {
  for (const name of kept()) {
    const path = join(keptFolder(), name)
    const text = `${readFileSync(path, 'utf8')}${MARKER}`
    rmSync(path)
    writeFileSync(path, text)
    const [key, , ...rest] = readFileSync(`${path}.key`, 'utf8').split('\n')
    writeFileSync(`${path}.key`, [key, createHash('sha256').update(text).digest('base64url'), ...rest].join('\n'))
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'femto-bundle-cache-'))
  cpSync(FIXTURE, dir, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('the bundle cache', () => {
  let first: Record<string, string>

  it('keeps each service\'s file and router.js, and gives them back when nothing changed', async () => {
    await viteBuild(dir, 'dist')
    first = contents()
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['checkout.js', 'router.js']))
    expect(kept()).toEqual(Object.keys(first).sort())
    mark()
    await viteBuild(dir, 'dist')
    const again = contents()
    for (const [name, text] of Object.entries(first)) {
      expect(again[name], name).toBe(`${text}${MARKER}`)
    }
  })

  it('makes every file again after an edit, the same as a build without the cache', async () => {
    mark()
    const source = join(dir, 'src/shop.ts')
    writeFileSync(source, readFileSync(source, 'utf8').replace('amount * 0.2', 'amount * 0.25'))
    await viteBuild(dir, 'dist')
    const edited = contents()
    expect(edited['tax.js']).toContain('amount * .25')
    for (const text of Object.values(edited))
      expect(text).not.toContain(MARKER)
    await viteBuild(dir, 'dist', { cache: false })
    expect(contents()).toEqual(edited)
  })

  it('does not use a kept file whose content is no longer what was kept', async () => {
    // A build that makes its files (an edit first) keeps each as a link to the file it wrote.
    const source = join(dir, 'src/shop.ts')
    writeFileSync(source, readFileSync(source, 'utf8').replace('amount * 0.25', 'amount * 0.2'))
    await viteBuild(dir, 'dist')
    // The output written over in place (the kept file is the same inode), as a tool editing dist/ would.
    const output = join(servers(), 'tax.js')
    const before = readFileSync(output, 'utf8')
    writeFileSync(output, `${before}// edited in place\n`)
    expect(readFileSync(join(keptFolder(), 'tax.js'), 'utf8')).toContain('// edited in place')
    await viteBuild(dir, 'dist')
    expect(readFileSync(output, 'utf8')).toBe(before)
  })

  it('is neither read nor written with cache: false', async () => {
    mark()
    await viteBuild(dir, 'dist', { cache: false })
    for (const text of Object.values(contents()))
      expect(text).not.toContain(MARKER)
    rmSync(keptFolder(), { recursive: true })
    await viteBuild(dir, 'dist', { cache: false })
    expect(existsSync(keptFolder())).toBe(false)
  })

  it('describes a file it gives back as a build without the cache does (femto.json: bytes, hash, variables read, stubs)', async () => {
    await viteBuild(dir, 'dist')
    await viteBuild(dir, 'dist')
    const manifest = (): Manifest => JSON.parse(readFileSync(join(servers(), 'femto.json'), 'utf8'))
    const fromCache = manifest()
    // What a kept file's facts say shows in femto.json: a service that calls another, one that reads a variable.
    expect(fromCache.services.some(service => (service.calls ?? []).length > 0)).toBe(true)
    await viteBuild(dir, 'dist', { cache: false })
    expect(fromCache).toEqual(manifest())
  })

  it('gives back files that run: a service from the cache answers (the marker is a comment)', async () => {
    await viteBuild(dir, 'dist')
    mark()
    await viteBuild(dir, 'dist')
    expect(readFileSync(join(servers(), 'tax.js'), 'utf8')).toContain(MARKER.trim())
    const service = await startNode(join(servers(), 'tax.js'), { env: { FEMTO_ALLOW_NO_TOKEN: '1' } })
    try {
      expect(await post(`${service.url}/femto/tax`, [100])).toMatchObject({ status: 200, body: 20 })
    }
    finally {
      await service.stop()
    }
  })
})
