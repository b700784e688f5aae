import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { unpluginFactory } from '../../src/core/plugin/unplugin'
import { createContext } from '../../src/core/registry/context'
import { viteBuild } from '../helpers'

describe('bad directive use', () => {
  it('fails vite build with the file, line, column, a code frame and the fix', async () => {
    const thrown: any = await viteBuild(join(import.meta.dirname, '../fixtures/bad-app'), 'dist').then(() => undefined, e => e)
    expect(thrown).toBeInstanceOf(Error)
    // Rolldown aggregates plugin errors; each keeps the position and frame the plugin gave it.
    const error = thrown.errors?.[0] ?? thrown
    expect(error.message).toContain('src/cart.ts:3:5')
    expect(error.message).toContain('cannot mark a class method')
    expect(error.message).toContain('Move the body into an exported function')
    expect(error.frame).toContain('> 3 |     \'use femto\'')
    expect(thrown.message).toContain('> 3 |     \'use femto\'')
    expect(error.loc).toMatchObject({ line: 3, column: 4 })
    expect(error.id).toMatch(/fixtures\/bad-app\/src\/cart\.ts$/)
  })
})

describe('bad directive use in a file nothing imports', () => {
  it('is found by the scan of `include` and fails the build just the same', async () => {
    const root = mkdtempSync(join(tmpdir(), 'femto-orphan-'))
    await import('node:fs/promises').then(fs => fs.mkdir(join(root, 'src')))
    writeFileSync(join(root, 'index.html'), '<script type="module" src="/src/main.ts"></script>\n')
    writeFileSync(join(root, 'src/main.ts'), 'console.log(1)\n')
    writeFileSync(join(root, 'src/orphan.ts'), 'export const api = {\n  async run() {\n    \'use femto\'\n  },\n}\n')
    const thrown: any = await viteBuild(root, 'dist').then(() => undefined, e => e)
    const error = thrown?.errors?.[0] ?? thrown
    expect(error.message).toContain('src/orphan.ts:3:5: \'use femto\' cannot mark an object method')
    expect(error.frame).toContain('> 3 |     \'use femto\'')
  })
})

describe('names that would collide outside the source', () => {
  const fn = (name: string): string => `export async function ${name}() {\n  'use femto'\n}\n`
  it.each([
    ['case only', 'inStock', 'instock', /differ only in case/],
    ['the FEMTO_URL_ variable', 'inStock', 'in_stock', /would share the variable FEMTO_URL_IN_STOCK/],
  ])('%s', async (_, first, second, message) => {
    const ctx = createContext({})
    ctx.setRoot('/app')
    await ctx.analyze('/app/src/a.ts', fn(first))
    await expect(ctx.analyze('/app/src/b.ts', fn(second))).rejects.toThrow(message)
  })

  it('refuses a basePath of / (functions would shadow the app)', () => {
    expect(() => createContext({ basePath: '/' })).toThrow(/basePath/)
  })

  it('does not scan or transform files under `exclude`', async () => {
    const root = mkdtempSync(join(tmpdir(), 'femto-exclude-'))
    await import('node:fs/promises').then(fs => fs.mkdir(join(root, 'src/legacy'), { recursive: true }))
    writeFileSync(join(root, 'src/legacy/old.ts'), fn('old'))
    writeFileSync(join(root, 'src/new.ts'), fn('fresh'))
    const ctx = createContext({ exclude: ['src/legacy/**'] })
    ctx.setRoot(root)
    await ctx.scan()
    expect([...ctx.registry.keys()]).toEqual(['fresh'])
    expect(ctx.isExcluded(join(root, 'src/legacy/old.ts'))).toBe(true)
  })
})

describe('the pre-check', () => {
  it('never parses a module without the directive text, so it leaves it untouched', async () => {
    const plugin = unpluginFactory(undefined, { framework: 'vite' } as any) as any
    const notEvenJavaScript = 'this is ((( not a module'
    expect(await plugin.transform.handler.call({}, notEvenJavaScript, '/app/src/x.ts')).toBeUndefined()
    // With the text, the same module is parsed and its syntax error reported.
    await expect(plugin.transform.handler.call({}, `${notEvenJavaScript} 'use femto'`, '/app/src/x.ts')).rejects.toThrow(/could not parse/)
    // Only script modules: a page that mentions the directive is not JavaScript.
    expect(await plugin.transform.handler.call({}, '<p><code>\'use femto\'</code></p>', '/app/index.html')).toBeUndefined()
  })

  it('skips files without the text when scanning `include`', async () => {
    const root = mkdtempSync(join(tmpdir(), 'femto-scan-'))
    const src = join(root, 'src')
    await import('node:fs/promises').then(fs => fs.mkdir(src))
    writeFileSync(join(src, 'broken.ts'), 'export const = ;')
    writeFileSync(join(src, 'ok.ts'), 'export async function ok() {\n  \'use femto\'\n  return 1\n}\n')
    const ctx = createContext({})
    ctx.setRoot(root)
    await ctx.scan()
    expect([...ctx.registry.keys()]).toEqual(['ok'])
  })
})

describe('a module with functions imported as text', () => {
  it.each(['raw', 'url', 'inline'])('fails a client build for ?%s, naming the module, and publishes nothing', async (query) => {
    const root = mkdtempSync(join(tmpdir(), 'femto-as-text-'))
    await import('node:fs/promises').then(fs => fs.mkdir(join(root, 'src')))
    writeFileSync(join(root, 'index.html'), '<script type="module" src="/src/main.ts"></script>\n')
    writeFileSync(join(root, 'src/main.ts'), `import text from './quote.ts?${query}'\nimport { quote } from './quote'\n\nconsole.log(text, quote)\n`)
    writeFileSync(join(root, 'src/quote.ts'), 'const KEY = \'as-text-secret-8c1d\'\n\nexport async function quote(qty: number) {\n  \'use femto\'\n  return qty * KEY.length\n}\n')
    const thrown: any = await viteBuild(root, 'dist').then(() => undefined, e => e)
    const error = thrown?.errors?.[0] ?? thrown
    expect(error?.message).toContain(`src/quote.ts?${query} would publish the text of src/quote.ts, a module with femto functions`)
    expect(existsSync(join(root, 'dist/client'))).toBe(false)
  })
})
