import type { ModuleAnalysis } from '../../src/core/transform/analyze'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from '@babel/parser'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/registry/context'
import { analyzeModule } from '../../src/core/transform/analyze'
import { transformModule } from '../../src/core/transform/transform'

const FIXTURES = join(import.meta.dirname, '../fixtures/transform')
const SNAPSHOTS = join(import.meta.dirname, '__snapshots__/transform')
const cases = readdirSync(FIXTURES).filter(f => f.endsWith('.ts')).sort()

const clientStub = { from: 'unplugin-femto/runtime', helper: 'callFemto', meta: (fn: { name: string }) => JSON.stringify({ name: fn.name, route: `/femto/${fn.name}` }) }
const serverStub = { from: 'unplugin-femto/runtime/server', helper: 'callService', meta: (fn: { name: string }) => JSON.stringify({ name: fn.name, route: `/femto/${fn.name}`, port: 3101 }) }

function reparse(code: string): void {
  parse(code, { sourceType: 'module', plugins: ['typescript'] })
}

function describeFunctions(analysis: ModuleAnalysis): string {
  return analysis.functions.map(f => `// ${f.name}(${f.params.map(p => (p.rest ? `...${p.name}` : p.optional ? `${p.name}?` : p.name)).join(', ')}) exported as [${f.exportNames.join(', ')}]${f.nested ? ' nested' : ''}${f.policy ? ` policy ${JSON.stringify(f.policy)}` : ''}`).join('\n')
}

describe('transform: one fixture per directive form', () => {
  for (const file of cases) {
    it(file, async () => {
      const code = readFileSync(join(FIXTURES, file), 'utf8')
      const id = join(FIXTURES, file)
      const analysis = analyzeModule(id, code)
      const header = describeFunctions(analysis)

      const client = transformModule(code, analysis, { hosted: () => false, stub: clientStub })
      const server = transformModule(code, analysis, { hosted: () => true, stub: serverStub })
      // Vite's one build of every service: both sides of each function, behind its flag.
      const services = transformModule(code, analysis, { hosted: () => false, flag: fn => `__FEMTO_HOSTED_${fn.name}__`, stub: serverStub })
      await expect(`${header}\n${client?.code ?? '// unchanged'}`).toMatchFileSnapshot(join(SNAPSHOTS, file.replace(/\.ts$/, '.client.ts')))
      await expect(`${header}\n${server?.code ?? '// unchanged'}`).toMatchFileSnapshot(join(SNAPSHOTS, file.replace(/\.ts$/, '.server.ts')))
      await expect(`${header}\n${services?.code ?? '// unchanged'}`).toMatchFileSnapshot(join(SNAPSHOTS, file.replace(/\.ts$/, '.services.ts')))

      for (const out of [client, server, services]) {
        if (!out)
          continue
        reparse(out.code)
        // A second pass finds no directive left and changes nothing.
        expect(transformModule(out.code, analyzeModule(id, out.code), { hosted: () => false, stub: clientStub })).toBeUndefined()
        expect(out.map?.sources).toEqual([id])
      }
      if (analysis.functions.length > 0) {
        // No body of a femto function survives on the client side.
        expect(client!.code).not.toContain('\'use femto\'')
        for (const fn of analysis.functions) {
          const body = code.slice(fn.range.start, fn.range.end)
          expect(client!.code).not.toContain(body)
        }
      }
    })
  }
})

describe('transform: what a partial host keeps', () => {
  it('hosts one function of a module, stubs its neighbour and keeps imports both sides need', () => {
    const code = readFileSync(join(FIXTURES, 'calls-other.ts'), 'utf8')
    const analysis = analyzeModule('/x/calls-other.ts', code)
    const out = transformModule(code, analysis, { hosted: fn => fn.name === 'countdown', stub: serverStub })!.code
    expect(out).toContain('return n <= 0 ? [0] : [n, ...await countdown(n - 1)]')
    expect(out).toContain('function sumThree(...args) { return __femto_call({"name":"sumThree","route":"/femto/sumThree","port":3101}, args) }')
    // `add` was used only by the stubbed sumThree, so its import goes.
    expect(out).not.toContain('import { add }')
  })

  it('drops server-only declarations to a fixed point but keeps what client code uses', () => {
    const code = readFileSync(join(FIXTURES, 'prunes-server-imports.ts'), 'utf8')
    const out = transformModule(code, analyzeModule('/x/p.ts', code), { hosted: () => false, stub: clientStub })!.code
    for (const gone of ['stripe', 'sk_live_51Hxyz', 'createHash', 'digest', 'currency'])
      expect(out).not.toContain(gone)
    expect(out).toContain('import { formatPrice } from \'./money\'')
    expect(out).toContain('import \'./polyfills\'')
  })

  it('maps stub positions back to the original function', async () => {
    const { TraceMap, originalPositionFor } = await import('@jridgewell/trace-mapping')
    const code = readFileSync(join(FIXTURES, 'function-declaration.ts'), 'utf8')
    const out = transformModule(code, analyzeModule('/x/f.ts', code), { hosted: () => false, stub: clientStub })!
    const lines = out.code.split('\n')
    const line = lines.findIndex(l => l.startsWith('export function price')) + 1
    const original = originalPositionFor(new TraceMap(out.map as any), { line, column: 7 })
    expect(original.line).toBe(code.split('\n').findIndex(l => l.startsWith('export function price')) + 1)
  })
})

const ERRORS = join(import.meta.dirname, '../fixtures/transform-errors')

describe('transform: one fixture per usage error', () => {
  for (const file of readdirSync(ERRORS).filter(f => f.endsWith('.ts')).sort()) {
    it(file, async () => {
      const code = readFileSync(join(ERRORS, file), 'utf8')
      let error: any
      try {
        analyzeModule(join(ERRORS, file), code, { displayId: `src/${file}` })
      }
      catch (e) {
        error = e
      }
      expect(error?.name).toBe('FemtoUsageError')
      expect(error.message).toMatch(new RegExp(`^\\[unplugin-femto\\] src/${file.replace('.', '\\.')}:\\d+:\\d+: `))
      expect(error.frame).toContain('>')
      await expect(error.message).toMatchFileSnapshot(join(SNAPSHOTS, '../errors', file.replace(/\.ts$/, '.txt')))
    })
  }

  it('two files serving the same name', async () => {
    const ctx = createContext({})
    ctx.setRoot('/app')
    await ctx.analyze('/app/src/a.ts', 'export async function ping() {\n  \'use femto\'\n}\n')
    await expect(ctx.analyze('/app/src/b.ts', 'export const ping = async () => {\n  \'use femto\'\n}\n'))
      .rejects
      .toThrowErrorMatchingInlineSnapshot(`
        [FemtoUsageError: [unplugin-femto] src/b.ts:2:3: two femto functions are named 'ping': this one and the one at src/a.ts:1:23. Service names must be unique across the project; export one under another name, e.g. \`export { ping as ping2 }\`

          1 | export const ping = async () => {
        > 2 |   'use femto'
            |   ^
          3 | }
          4 |
        ]
      `)
  })
})

describe('transform: what review found', () => {
  it('keeps the stub when a dropped declarator shares its statement', () => {
    const code = readFileSync(join(FIXTURES, 'shared-declaration.ts'), 'utf8')
    const out = transformModule(code, analyzeModule('/x/s.ts', code), { hosted: () => false, stub: clientStub })!.code
    expect(out).toContain('add = function(...args) { return __femto_call(')
    expect(out).not.toContain('helper =')
    expect(out).not.toContain('db.read')
    expect(out).not.toContain('from \'./db\'')
    expect(out).toContain('label = (n: number) => format(n)')
  })

  it('exports a hosted femto function nested in a stubbed one, for its own service entry', () => {
    const code = readFileSync(join(FIXTURES, 'nested-in-nested.ts'), 'utf8')
    const out = transformModule(code, analyzeModule('/x/n.ts', code), { hosted: fn => fn.name === 'inner', stub: serverStub })!.code
    expect(out).toContain('export async function outer(...args)'.replace('async ', ''))
    expect(out).toContain('export const __femto$inner = async function inner(y: number) {')
  })
})

describe('transform: one module for every service, behind flags', () => {
  const flagged = (id: string, code: string): string =>
    transformModule(code, analyzeModule(id, code), { hosted: () => false, flag: fn => `__FEMTO_HOSTED_${fn.name}__`, stub: serverStub })!.code

  /** One service's bundle of the flagged module, as the second pass makes it: its flags defined, tree-shaken. */
  async function bundleFor(id: string, code: string, define: Record<string, string>): Promise<string> {
    const { rolldown } = await import('rolldown')
    const bundler = await rolldown({
      input: id,
      platform: 'node',
      external: [/^node:/, /^unplugin-femto/],
      plugins: [{ name: 'memory', resolveId: source => (source === id ? id : undefined), load: source => (source === id ? flagged(id, code) : undefined) }],
      transform: { define },
      logLevel: 'silent',
    })
    try {
      return (await bundler.generate({ format: 'esm' })).output[0].code
    }
    finally {
      await bundler.close()
    }
  }

  const shop = [
    'import { readFileSync } from \'node:fs\'',
    'const path = \'config/\' + \'prices.json\'',
    'const prices: Record<string, number> = JSON.parse(readFileSync(path, \'utf8\'))',
    'const [first] = readFileSync(\'config/list.txt\', \'utf8\').split(\'\\n\')',
    'class Ledger { static opened = readFileSync(\'ledger.log\', \'utf8\') }',
    'function lookup(sku: string) { return prices[sku] }',
    'export async function quote(sku: string) {',
    '  \'use femto\'',
    '  return { price: lookup(sku), first, ledger: Ledger.opened }',
    '}',
    'export async function checkout(sku: string) {',
    '  \'use femto\'',
    '  return { total: (await quote(sku)).price }',
    '}',
  ].join('\n')

  it('keeps a declaration only one function uses out of every other service, to a fixed point', async () => {
    const out = flagged('/x/shop.ts', shop)
    expect(out).toContain('const path = (__FEMTO_HOSTED_quote__) ? (\'config/\' + \'prices.json\') : undefined')
    expect(out).toContain('const [first] = (__FEMTO_HOSTED_quote__) ? (readFileSync(\'config/list.txt\', \'utf8\').split(\'\\n\')) : []')
    const checkout = await bundleFor('/x/shop.ts', shop, { __FEMTO_HOSTED_quote__: 'false', __FEMTO_HOSTED_checkout__: 'true' })
    for (const gone of ['prices.json', 'list.txt', 'lookup', 'readFileSync'])
      expect(checkout).not.toContain(gone)
    const quote = await bundleFor('/x/shop.ts', shop, { __FEMTO_HOSTED_quote__: 'true', __FEMTO_HOSTED_checkout__: 'false' })
    for (const kept of ['prices.json', 'list.txt', 'ledger.log', 'lookup'])
      expect(quote).toContain(kept)
  })

  it('runs the top-level code of a file-level module only where one of its functions is hosted', async () => {
    const code = [
      '\'use femto\'',
      'import { readFileSync } from \'node:fs\'',
      'const unused = readFileSync(\'warm.txt\', \'utf8\')',
      'console.log(\'server module loaded\')',
      'export async function load() { return 1 }',
      'export async function save() { return 2 }',
    ].join('\n')
    const elsewhere = await bundleFor('/x/file.ts', code, { __FEMTO_HOSTED_load__: 'false', __FEMTO_HOSTED_save__: 'false' })
    expect(elsewhere).not.toContain('server module loaded')
    expect(elsewhere).not.toContain('warm.txt')
    const load = await bundleFor('/x/file.ts', code, { __FEMTO_HOSTED_load__: 'true', __FEMTO_HOSTED_save__: 'false' })
    expect(load).toContain('server module loaded')
    expect(load).toContain('warm.txt')
  })
})
