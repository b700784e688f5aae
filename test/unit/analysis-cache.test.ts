import type { ModuleAnalysis } from '../../src/core/transform/analyze'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parse, stringify } from 'devalue'
import { glob } from 'tinyglobby'
import { describe, expect, it } from 'vitest'
import { cacheFolder, codeIdentity } from '../../src/core/registry/cache-files'
import { resolveOptions } from '../../src/core/registry/options'
import { createRegistry } from '../../src/core/registry/registry'
import { analyzeModule } from '../../src/core/transform/analyze'
import { mayHaveDirective } from '../../src/core/transform/precheck'
import { tempProjects } from '../support/temp-project'

// The analysis cache (src/core/registry/analysis-cache.ts): a build whose modules did not change
// takes their analyses from node_modules/.cache and never parses them.

const project = tempProjects('femto-analyses-')

const ADD = 'export async function add(a: number, b: number) {\n  \'use femto\'\n  \'femto retries=2\'\n  return a + b\n}\n'
const registry = (root: string, cache = true): ReturnType<typeof createRegistry> => createRegistry(resolveOptions({ cache }), () => root)
const entries = (root: string): string[] => readdirSync(join(cacheFolder(root), 'analyses'))

/** Rewrites every cached entry's analysis as `edit` says, keeping its key: what a build then returns shows where it came from. */
function tamper(root: string, edit: (analysis: ModuleAnalysis) => void): void {
  for (const name of entries(root)) {
    const file = join(cacheFolder(root), 'analyses', name)
    const entry = JSON.parse(readFileSync(file, 'utf8'))
    const analysis = parse(entry.analysis)
    edit(analysis)
    writeFileSync(file, JSON.stringify({ ...entry, analysis: stringify(analysis) }))
  }
}

describe('the analysis cache', () => {
  it('gives a second build the first one\'s analysis without parsing the module again', async () => {
    const root = project({ 'src/add.ts': ADD })
    const id = join(root, 'src/add.ts')
    const first = await registry(root).analyze(id, ADD)
    expect(entries(root)).toHaveLength(1)
    expect(await registry(root).analyze(id, ADD)).toEqual(first)
    // Proof that it came from the entry: a mark put there shows up.
    tamper(root, a => void (a.functions[0]!.contract = 'from-the-cache'))
    expect((await registry(root).analyze(id, ADD)).functions[0]!.contract).toBe('from-the-cache')
  })

  it('parses again when the module\'s text changed, and overwrites its entry', async () => {
    const root = project({ 'src/add.ts': ADD })
    const id = join(root, 'src/add.ts')
    await registry(root).analyze(id, ADD)
    tamper(root, a => void (a.functions[0]!.contract = 'from-the-cache'))
    const edited = ADD.replace('a + b', 'b + a')
    const analysis = await registry(root).analyze(id, edited)
    expect(analysis.functions[0]!.contract).not.toBe('from-the-cache')
    expect(analysis.functions[0]!.range.end).toBe(edited.indexOf('}\n') + 1)
    expect(entries(root)).toHaveLength(1)
  })

  it('is neither read nor written with cache: false', async () => {
    const root = project({ 'src/add.ts': ADD })
    const id = join(root, 'src/add.ts')
    await registry(root).analyze(id, ADD)
    tamper(root, a => void (a.functions[0]!.contract = 'from-the-cache'))
    expect((await registry(root, false).analyze(id, ADD)).functions[0]!.contract).not.toBe('from-the-cache')
    const fresh = project({ 'src/add.ts': ADD })
    await registry(fresh, false).analyze(join(fresh, 'src/add.ts'), ADD)
    expect(() => entries(fresh)).toThrow(/ENOENT/)
  })

  it('keeps no analysis of a module that fails, and reports a name clash from cached analyses with its code frame', async () => {
    const root = project({ 'src/a.ts': ADD, 'src/b.ts': ADD })
    const bad = ADD.replace('\'use femto\'\n  \'femto retries=2\'', '\'femto retries=2\'\n  \'use femto\'')
    await expect(registry(root).analyze(join(root, 'src/bad.ts'), bad)).rejects.toThrow(/src\/bad\.ts:2:3: a policy directive/)
    expect(() => entries(root)).toThrow(/ENOENT/)
    const first = registry(root)
    await first.analyze(join(root, 'src/a.ts'), ADD)
    await expect(first.analyze(join(root, 'src/b.ts'), ADD)).rejects.toThrow(/two femto functions are named 'add'/)
    // Both analyses are cached now; the clash is the registry's, found again from them.
    await registry(root).analyze(join(root, 'src/b.ts'), ADD).catch(() => {})
    const again = registry(root)
    await again.analyze(join(root, 'src/a.ts'), ADD)
    const clash = await again.analyze(join(root, 'src/b.ts'), ADD).then(() => undefined, (error: Error) => error)
    expect(clash?.message).toMatch(/src\/b\.ts:1:\d+: .*two femto functions are named 'add'/s)
    expect(clash?.message).toContain('> 1 | export async function add')
  })

  it('holds every analysis of the fixture apps exactly: what it gives back equals a fresh parse', async () => {
    const root = join(import.meta.dirname, '../fixtures')
    const files = (await glob(['*/src/**/*.{ts,tsx,js,jsx,mts}'], { cwd: root, absolute: true })).filter(file => mayHaveDirective(readFileSync(file, 'utf8')))
    expect(files.length).toBeGreaterThan(30)
    let held = 0
    for (const file of files) {
      const code = readFileSync(file, 'utf8')
      let analysis: ModuleAnalysis
      try {
        analysis = analyzeModule(file, code, { displayId: relative(root, file) })
      }
      catch {
        continue
      }
      expect(parse(stringify(analysis)), file).toStrictEqual(analysis)
      held++
    }
    expect(held).toBeGreaterThan(30)
  })
})

describe('the identity of the plugin\'s code in the cache keys', () => {
  it('is, from the package, the names and sizes of its chunks: the same for the same files, another for any file added or changed', () => {
    // dist/'s chunks are named by a hash of their content (run from source, sizes and times count).
    const chunks = { 'vite.js': 'export {}\n', 'context-AbC123.js': 'export const a = 1\n' }
    const identity = codeIdentity(project(chunks))
    expect(codeIdentity(project(chunks))).toBe(identity)
    expect(codeIdentity(project({ ...chunks, 'derive-XyZ789.js': 'export const d = 1\n' }))).not.toBe(identity)
    expect(codeIdentity(project({ ...chunks, 'context-AbC123.js': 'export const a = 12\n' }))).not.toBe(identity)
  })
})
