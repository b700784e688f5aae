import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'

// The published module, each load in a process of its own: within one process V8 reuses what it
// compiled already and never reads a cache, so only a new process shows what the disk holds.
const MODULE = pathToFileURL(join(import.meta.dirname, '../../dist/compile-cache.js')).href
const work = mkdtempSync(join(tmpdir(), 'femto-compile-cache-'))
const file = join(work, 'lib.cjs')
const dir = join(work, 'cache')

function load(cacheDir = dir, env: Record<string, string> = {}): { exports: Record<string, unknown>, cache: string } {
  const script = `import(${JSON.stringify(MODULE)}).then(m => process.stdout.write(JSON.stringify(m.compileWithCache(${JSON.stringify(file)}, ${JSON.stringify(cacheDir)}))))`
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '', ...env }, encoding: 'utf8' }))
}

function writeLib(version: number, time: number): void {
  writeFileSync(file, `const path = require('node:path')\nexports.version = ${version}\nexports.where = path.basename(__filename)\nexports.self = module.exports === exports\n`)
  utimesSync(file, time, time)
}

describe('the compile cache TypeScript is loaded with', () => {
  it('runs a CommonJS file as require does, writes V8\'s cache once, then runs from it', () => {
    writeLib(1, 1_000_000)
    expect(load()).toEqual({ exports: { version: 1, where: 'lib.cjs', self: true }, cache: 'written' })
    expect(readdirSync(dir)).toHaveLength(1)
    expect(load()).toEqual({ exports: { version: 1, where: 'lib.cjs', self: true }, cache: 'used' })
  })

  it('replaces the entry of a file that changed, and never runs the old code', () => {
    writeLib(2, 2_000_000)
    expect(load()).toMatchObject({ exports: { version: 2 }, cache: 'written' })
    expect(readdirSync(dir)).toHaveLength(1)
    expect(load()).toMatchObject({ exports: { version: 2 }, cache: 'used' })
  })

  it('writes an entry again when V8 rejects it', () => {
    const [entry] = readdirSync(dir)
    writeFileSync(join(dir, entry!), 'not a code cache')
    expect(load()).toMatchObject({ exports: { version: 2 }, cache: 'written' })
    expect(load()).toMatchObject({ cache: 'used' })
  })

  it('writes its entry again after keepCompiledCode, with the functions compiled since; a process that used the entry leaves it', () => {
    const lib = join(work, 'work.cjs')
    writeFileSync(lib, `exports.work = function (n) {\n  let total = 0\n  for (let i = 0; i < n; i++) total += step(i)\n  return total\n}\nfunction step(i) {\n  return i % 3 === 0 ? i * 2 : i + 1\n}\n`)
    const cacheDir = join(work, 'kept')
    // Loads the file, runs its function (V8 compiles it and `step` then), keeps the code, and
    // tells the entry's size before and after.
    const script = `import(${JSON.stringify(MODULE)}).then(m => {
      const fs = require('node:fs'), path = require('node:path')
      const size = () => fs.readdirSync(${JSON.stringify(cacheDir)}).map(f => fs.statSync(path.join(${JSON.stringify(cacheDir)}, f)).size)
      const { exports, cache } = m.compileWithCache(${JSON.stringify(lib)}, ${JSON.stringify(cacheDir)})
      const before = size()
      const result = exports.work(100)
      m.keepCompiledCode()
      process.stdout.write(JSON.stringify({ cache, result, before, after: size() }))
    })`
    const run = (): { cache: string, result: number, before: number[], after: number[] } => JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '' }, encoding: 'utf8' }))
    const first = run()
    expect(first).toMatchObject({ cache: 'written', result: 6699 })
    expect(first.before).toHaveLength(1)
    expect(first.after).toHaveLength(1)
    expect(first.after[0]).toBeGreaterThan(first.before[0]!)
    const second = run()
    expect(second).toMatchObject({ cache: 'used', result: 6699, before: first.after, after: first.after })
  })

  it('is off with NODE_DISABLE_COMPILE_CACHE, as Node\'s own', () => {
    expect(load(dir, { NODE_DISABLE_COMPILE_CACHE: '1' })).toMatchObject({ exports: { version: 2 }, cache: 'off' })
  })

  it.runIf(process.getuid !== undefined)('never reads or writes a folder that others can write', () => {
    const open = join(work, 'open')
    mkdirSync(open)
    chmodSync(open, 0o777)
    expect(load(open)).toMatchObject({ exports: { version: 2 }, cache: 'off' })
    expect(readdirSync(open)).toEqual([])
  })
})
