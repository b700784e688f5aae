import type { FunctionSchema } from '../../src/core/schema/types'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import femto from '../../src/vite'
import { publishedPlugin, viteBuild } from '../helpers'

// The schema cache (src/core/schema/cache.ts) against real `vite build`s of a fixture: a build
// in which nothing changed takes its schemas from the cache, and each kind of change the schemas
// depend on makes the next build derive them again. To tell the two apart, the test writes a
// marker into the cached schema after each build: a build that shows the marker used the cache.
// Twice: with the plugin from source, which derives in the build's own thread, and with the
// published one, whose cold builds make their first program on a thread started before the scan
// (types-schedule.ts's `early`), reading the disk through the same recorder.

const FIXTURE = join(import.meta.dirname, '../fixtures/schema-cache-app')
const MARKER = 'served from the schema cache'

let dir: string
let plugin: typeof femto

const file = (path: string): string => join(dir, path)
function edit(path: string, from: string, to: string): void {
  const text = readFileSync(file(path), 'utf8')
  expect(text).toContain(from)
  writeFileSync(file(path), text.replace(from, to))
}

interface Entry { key: string, schemas: { order: FunctionSchema } }

function cacheEntry(): { path: string, entry: Entry } {
  const folder = file('node_modules/.cache/unplugin-femto')
  const names = readdirSync(folder).filter(name => /^schemas-.*\.json$/.test(name))
  expect(names).toHaveLength(1)
  const path = join(folder, names[0]!)
  return { path, entry: JSON.parse(readFileSync(path, 'utf8')) }
}

/** Changes the cached schema's description, which the build puts into openapi.json as is. */
function markCache(change: (entry: Entry) => void = () => {}): void {
  const { path, entry } = cacheEntry()
  entry.schemas.order.description = MARKER
  change(entry)
  writeFileSync(path, JSON.stringify(entry))
}

interface Built { summary: string, schemas: Record<'Line' | 'Item', { properties: Record<string, unknown> }> }

async function build(options = {}): Promise<Built> {
  const dist = await viteBuild(dir, 'dist', options, plugin)
  const api = JSON.parse(readFileSync(join(dist, 'servers/openapi.json'), 'utf8'))
  return { summary: api.paths['/femto/order'].post.summary, schemas: api.components.schemas }
}

describe.each(['source', 'published'])('the schema cache, plugin from %s', (from) => {
  beforeAll(async () => {
    plugin = from === 'source' ? femto : await publishedPlugin()
    dir = mkdtempSync(join(tmpdir(), 'femto-schema-cache-'))
    cpSync(FIXTURE, dir, { recursive: true })
  })

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps the schemas a cold build derived', async () => {
    const built = await build()
    expect(built.summary).toBe('Places an order of one line.')
    expect(built.schemas.Line.properties).toEqual({ item: { $ref: '#/components/schemas/Item' }, qty: { type: 'number' }, note: { type: ['string', 'null'] } })
    expect(built.schemas.Item.properties).toEqual({ sku: { type: 'string' } })
    expect(cacheEntry().entry.schemas.order.params[0]?.name).toBe('line')
  })

  it('serves a build in which nothing changed', async () => {
    markCache()
    expect((await build()).summary).toBe(MARKER)
    // And again: a hit leaves the entry as it was.
    expect((await build()).summary).toBe(MARKER)
  })

  it('derives again when a type changes in a module the function\'s types import', async () => {
    markCache()
    edit('src/item.ts', 'sku: string', 'sku: number')
    const built = await build()
    expect(built.summary).toBe('Places an order of one line.')
    expect(built.schemas.Item.properties).toEqual({ sku: { type: 'number' } })
  })

  it('serves a build after an edit no type can see (a fully annotated function\'s body), not after one that changes an inferred result', async () => {
    markCache()
    edit('src/shop.ts', 'return line.qty', 'return line.qty + 0')
    expect((await build()).summary).toBe(MARKER)

    // Without its result type, the body is what the result's schema is made of.
    edit('src/shop.ts', 'Promise<number>', 'Promise<number>     ')
    edit('src/shop.ts', ': Promise<number>     ', '                      ')
    const inferred = await build()
    expect(inferred.summary).toBe('Places an order of one line.')
    markCache()
    edit('src/shop.ts', 'return line.qty + 0', 'return String(line.qty)')
    const api = JSON.parse(readFileSync(join(await viteBuild(dir, 'dist', {}, plugin), 'servers/openapi.json'), 'utf8'))
    expect(api.paths['/femto/order'].post.summary).toBe('Places an order of one line.')
    expect(JSON.stringify(api.paths['/femto/order'].post.responses['200'])).toContain('"type":"string"')
    edit('src/shop.ts', '                      ', ': Promise<number>')
    edit('src/shop.ts', 'return String(line.qty)', 'return line.qty')
  })

  it('derives again when the tsconfig a tsconfig extends changes', async () => {
    markCache()
    // Without strictNullChecks, `string | null` is just `string`.
    edit('tsconfig.base.json', '"strict": true', '"strict": false')
    const built = await build()
    expect(built.summary).toBe('Places an order of one line.')
    expect(built.schemas.Line.properties.note).toEqual({ type: 'string' })
    edit('tsconfig.base.json', '"strict": false', '"strict": true')
    expect((await build()).schemas.Line.properties.note).toEqual({ type: ['string', 'null'] })
  })

  it('derives again when the entry was written with another TypeScript version', async () => {
    markCache((entry) => {
      const key = JSON.parse(entry.key)
      expect(key.typescript).toMatch(/@\d+\.\d+\.\d+/)
      key.typescript = key.typescript.replace(/@[\d.]+$/, '@5.0.0')
      entry.key = JSON.stringify(key)
    })
    expect((await build()).summary).toBe('Places an order of one line.')
  })

  it('derives again when a file the types came from is deleted, and when one appears where resolution looked', async () => {
    markCache()
    // `./item` now resolves to src/item/index.ts.
    rmSync(file('src/item.ts'))
    const without = await build()
    expect(without.summary).toBe('Places an order of one line.')
    expect(without.schemas.Item.properties).toEqual({ barcode: { type: 'number' } })

    markCache()
    writeFileSync(file('src/item.ts'), 'export interface Item {\n  sku: string\n}\n')
    const again = await build()
    expect(again.summary).toBe('Places an order of one line.')
    expect(again.schemas.Item.properties).toEqual({ sku: { type: 'string' } })
  })

  it('is neither read nor written with `cache: false`', async () => {
    markCache()
    const before = readFileSync(cacheEntry().path, 'utf8')
    expect((await build({ cache: false })).summary).toBe('Places an order of one line.')
    expect(readFileSync(cacheEntry().path, 'utf8')).toBe(before)
  })
})
