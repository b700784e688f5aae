import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cacheFolder } from '../../src/core/registry/cache-files'
import { ensureCacheFolder, ENTRIES_LOOKED_THROUGH, readCachedSchemas, writeCachedSchemas } from '../../src/core/schema/cache'
import { deriveSchemasWithDependencies } from '../../src/core/schema/derive'

// A dev-server edit asks for the schemas of one module's functions; the start derived them with
// every other module's. The entry that holds them at the same places serves them, while it holds.

let root: string

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'femto-schema-entries-'))
  writeFileSync(join(root, 'tax.ts'), 'const RATE = 0.2\n\nexport async function tax(amount: number): Promise<number> {\n  \'use femto\'\n  return amount * RATE\n}\n')
  writeFileSync(join(root, 'greet.ts'), 'export async function greet(name: string): Promise<string> {\n  \'use femto\'\n  return name\n}\n')
})

afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

const tax = (root: string) => ({ name: 'tax', file: join(root, 'tax.ts'), line: 3, column: 0 })
const greet = (root: string) => ({ name: 'greet', file: join(root, 'greet.ts'), line: 1, column: 0 })

function cacheAll(): void {
  const request = { files: [join(root, 'tax.ts'), join(root, 'greet.ts')], functions: [tax(root), greet(root)], root }
  ensureCacheFolder(root)
  const { schemas, dependencies } = deriveSchemasWithDependencies(request)
  writeCachedSchemas(root, request, schemas, dependencies)
}

describe('readCachedSchemas', () => {
  it('serves one module\'s functions from the entry that derived them with others, after an edit no type can see', () => {
    cacheAll()
    const one = { files: [join(root, 'tax.ts')], functions: [tax(root)], root }
    expect(readCachedSchemas(root, one)?.schemas.get('tax')?.params[0]?.schema).toEqual({ type: 'number' })
    writeFileSync(join(root, 'tax.ts'), 'const RATE = 0.25\n\nexport async function tax(amount: number): Promise<number> {\n  \'use femto\'\n  return amount * RATE\n}\n')
    expect(readCachedSchemas(root, one)?.schemas.get('tax')).toBeDefined()
  })

  it('does not serve them once a type changed, nor at another place', () => {
    cacheAll()
    const one = { files: [join(root, 'tax.ts')], functions: [tax(root)], root }
    expect(readCachedSchemas(root, { ...one, functions: [{ ...tax(root), line: 4 }] })).toBeUndefined()
    writeFileSync(join(root, 'tax.ts'), 'const RATE = 0.2\n\nexport async function tax(amount: string): Promise<number> {\n  \'use femto\'\n  return Number(amount) * RATE\n}\n')
    expect(readCachedSchemas(root, one)).toBeUndefined()
  })

  it('takes an entry it cannot read (cut short, written by hand) for no entry', () => {
    const folder = cacheFolder(root)
    ensureCacheFolder(root)
    const one = { files: [join(root, 'tax.ts')], functions: [tax(root)], root }
    for (const [i, text] of ['{"key":"{}"}', '{"key":"not json","dependencies":{},"schemas":{}}', 'null', '{"key":', '[]'].entries())
      writeFileSync(join(folder, `schemas-${(0xB000 + i).toString(16)}.json`), text)
    expect(readCachedSchemas(root, one)).toBeUndefined()
    cacheAll()
    expect(readCachedSchemas(root, one)?.schemas.get('tax')).toBeDefined()
  })

  it('looks through the newest entries only, so that an edit late in a long session does not read every entry', () => {
    cacheAll()
    const folder = cacheFolder(root)
    const [all] = readdirSync(folder).filter(name => name.startsWith('schemas-'))
    utimesSync(join(folder, all!), new Date(2020, 0, 1), new Date(2020, 0, 1))
    const newer = (count: number): void => {
      for (let i = 0; i < count; i++)
        writeFileSync(join(folder, `schemas-${(0xA000 + i).toString(16)}.json`), '{"key":"{}","dependencies":{},"schemas":{}}')
    }
    const one = { files: [join(root, 'tax.ts')], functions: [tax(root)], root }
    newer(ENTRIES_LOOKED_THROUGH - 1)
    expect(readCachedSchemas(root, one)?.schemas.get('tax')).toBeDefined()
    newer(ENTRIES_LOOKED_THROUGH)
    expect(readCachedSchemas(root, one)).toBeUndefined()
  })
})
