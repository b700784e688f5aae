import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DependencyRecorder, staleDependency } from '../../src/core/schema/dependencies'

// What the schema cache checks before it serves an entry (test/integration/schema-cache.test.ts
// proves the same through real builds): each answer the disk gave the TypeScript program.

let dir: string

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'femto-deps-'))
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('staleDependency', () => {
  it('holds while every file read has the text that was read, and not after an edit or a deletion', () => {
    writeFileSync(join(dir, 'a.ts'), 'export type A = string\n')
    const recorder = new DependencyRecorder()
    recorder.read(join(dir, 'a.ts'), 'export type A = string\n')
    const deps = recorder.result()
    expect(staleDependency(deps)).toBeUndefined()
    writeFileSync(join(dir, 'a.ts'), 'export type A = number\n')
    expect(staleDependency(deps)).toMatch(/a\.ts changed/)
    rmSync(join(dir, 'a.ts'))
    expect(staleDependency(deps)).toMatch(/a\.ts was deleted/)
  })

  it('compares with the text TypeScript was given, without a byte order mark', () => {
    writeFileSync(join(dir, 'a.ts'), '\uFEFFexport type A = string\n')
    const recorder = new DependencyRecorder()
    recorder.read(join(dir, 'a.ts'), 'export type A = string\n')
    expect(staleDependency(recorder.result())).toBeUndefined()
  })

  it('tells a missing file from a missing folder: a path probed as a folder may be a file', () => {
    // TypeScript looks for node_modules/events/events.js as a file (found) and as a folder (not).
    mkdirSync(join(dir, 'events'))
    writeFileSync(join(dir, 'events/events.js'), '')
    const recorder = new DependencyRecorder()
    recorder.folderExists(join(dir, 'events/events.js'), false)
    recorder.exists(join(dir, 'item.ts'), false)
    recorder.folderExists(join(dir, 'item'), false)
    const deps = recorder.result()
    expect(staleDependency(deps)).toBeUndefined()
    mkdirSync(join(dir, 'item'))
    expect(staleDependency(deps)).toMatch(/folder .*item was created/)
    rmSync(join(dir, 'item'), { recursive: true })
    writeFileSync(join(dir, 'item.ts'), '')
    expect(staleDependency(deps)).toMatch(/item\.ts was created/)
  })

  it('notices a new folder where TypeScript listed folders (a new @types package)', () => {
    mkdirSync(join(dir, '@types/node'), { recursive: true })
    const recorder = new DependencyRecorder()
    recorder.listed(join(dir, '@types'))
    const deps = recorder.result()
    expect(deps.folders[join(dir, '@types')]).toEqual(['node'])
    expect(staleDependency(deps)).toBeUndefined()
    mkdirSync(join(dir, '@types/react'))
    expect(staleDependency(deps)).toMatch(/folders in .*@types changed/)
  })
})
