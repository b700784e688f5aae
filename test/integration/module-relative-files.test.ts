import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { computedImports, moduleRelativeFiles } from '../../src/core/build/module-relative-files'
import { post, startNode, viteBuild } from '../helpers'
import { BUNDLER_BUILDS } from '../support/bundler-builds'
import { tempProjects } from '../support/temp-project'

// A file found by the module's own URL works under `vite dev` (the module runs from its folder)
// and not in a built service (one file in the servers folder): the build says so, with where.

const project = tempProjects('femto-module-files-')

const FILES = {
  'index.html': '<!doctype html><script type="module" src="/src/main.ts"></script>\n',
  'src/main.ts': 'import { motd } from \'./data\'\nvoid motd()\n',
  'src/data.ts': [
    'import { readFileSync } from \'node:fs\'',
    'import { banner } from \'./lib/banner\'',
    'export async function motd(): Promise<string> {',
    '  \'use femto\'',
    '  return banner() + readFileSync(new URL(\'./motd.txt\', import.meta.url), \'utf8\')',
    '}',
    '',
  ].join('\n'),
  // Not files next to the module: a full URL, and a URL made from another base.
  'src/lib/banner.ts': 'export const home = new URL(\'https://example.com/a\', import.meta.url)\nexport const asset = new URL(\'./x.txt\', \'https://example.com/\')\nexport function banner(): string {\n  return \'\'\n}\n',
  'src/motd.txt': 'hello\n',
}

afterEach(() => {
  vi.restoreAllMocks()
})

function warnings(about = 'import.meta.url'): string[] {
  return vi.mocked(console.warn).mock.calls.map(args => String(args[0])).filter(line => line.includes(about))
}

describe('a file found by the module\'s own URL', () => {
  it('is found where the source writes it, and nowhere else', () => {
    expect(moduleRelativeFiles('const a = 1\nconst t = readFileSync(new URL("../data/t.json", import.meta.url))\n')).toEqual([{ line: 2, column: 24, path: '../data/t.json' }])
    // A computed path (a template with a placeholder) names no one file.
    const computed = ['new URL(`./$', '{name}.json`, import.meta.url)'].join('')
    expect(moduleRelativeFiles(`${computed}; new URL("https://x", import.meta.url); new URL("./a", base)`)).toEqual([])
  })

  it('is a warning of a Vite build, with file:line:col and what to do; the service built without it indeed fails', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const root = project(FILES)
    const dist = await viteBuild(root, 'dist')
    expect(warnings()).toEqual([
      '[unplugin-femto] src/data.ts:5:34: new URL(\'./motd.txt\', import.meta.url) is found next to src/data.ts under vite dev, but a built service is one file in the servers folder, where \'./motd.txt\' is not: list \'src/motd.txt\' in the `files` option of the functions that read it and read it with femtoFile(\'src/motd.txt\') from unplugin-femto/runtime/server',
    ])
    const service = await startNode(join(dist, 'servers/motd.js'))
    try {
      expect((await post(`${service.url}/femto/motd`, [])).status).toBe(500)
    }
    finally {
      await service.stop()
    }
  })

  it('is a warning of the other bundlers\' builds too, once though each service is its own build', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const root = project({ ...FILES, 'src/data.ts': FILES['src/data.ts'].replace('./motd.txt', './motd-rollup.txt') })
    await BUNDLER_BUILDS.rollup!({ root, outDir: join(root, 'dist/client'), options: { summary: false } })
    expect(warnings()).toHaveLength(1)
    expect(warnings()[0]).toContain('src/data.ts:5:34: new URL(\'./motd-rollup.txt\', import.meta.url)')
  })
})

/* eslint-disable no-template-curly-in-string -- below, strings are the code built and the warnings about it, not templates */

// A module imported by a name made at run time is found from its importer under `vite dev`, and
// left out of a built service, where it is not found: the build says so, with where.
const LOCALES = {
  'index.html': '<!doctype html><script type="module" src="/src/main.ts"></script>\n',
  'src/main.ts': 'import { greet } from \'./greet\'\nimport { greetByTemplate } from \'./greet-template\'\nvoid greet(\'en\')\nvoid greetByTemplate(\'fr\')\n',
  // Only the concatenation: a module whose one dynamic import starts with a quote.
  'src/greet.ts': [
    'export async function greet(lang: string): Promise<string> {',
    '  \'use femto\'',
    '  const messages = await import(\'./locales/\' + lang + \'.js\')',
    '  return messages.hello as string',
    '}',
    '',
  ].join('\n'),
  'src/greet-template.ts': [
    'export async function greetByTemplate(lang: string): Promise<string> {',
    '  \'use femto\'',
    '  const messages = await import(`./locales/${lang}.js`)',
    '  const os = await import(\'node:os\')',
    '  return (messages.hello as string) + os.EOL.trim()',
    '}',
    '',
  ].join('\n'),
  'src/locales/en.js': 'export const hello = \'hello\'\n',
  'src/locales/fr.js': 'export const hello = \'bonjour\'\n',
}

describe('a module imported by a name made at run time', () => {
  const lines = (source: string, file: string, templatesBundled: boolean): [number, number, string][] => computedImports(source, file, templatesBundled).map(found => [found.line, found.column, found.text])

  it('is an import whose name is not a plain string, but a template where the build bundles it', () => {
    const source = [
      'const a = await import(\'./x/\' + name + \'.js\')',
      'const b = await import(name)',
      'const c = await import(`./l/${name}.js`)',
      'const d = await import(\'node:os\')',
      'const e = await import(`./plain.js`)',
      'type T = typeof import(\'./types\')',
      'const f = await import(/* @vite-ignore */ url)',
      'const g = await import(`${base}/x.js`)',
      // Vite's rules: not its own folder, an extension; an alias it resolves first.
      'const h = await import(`./${name}.js`)',
      'const i = await import(`./l/${name}`)',
      'const j = await import(`@/l/${name}.js`)',
    ].join('\n')
    expect(lines(source, 'm.ts', false)).toEqual([
      [1, 17, 'import(\'./x/\' + name + \'.js\')'],
      [2, 17, 'import(name)'],
      [3, 17, 'import(`./l/${name}.js`)'],
      [8, 17, 'import(`${base}/x.js`)'],
      [9, 17, 'import(`./${name}.js`)'],
      [10, 17, 'import(`./l/${name}`)'],
      [11, 17, 'import(`@/l/${name}.js`)'],
    ])
    expect(lines(source, 'm.ts', true).map(([line]) => line)).toEqual([1, 2, 8, 9, 10])
  })

  it('is found in a module whose only dynamic import starts with a quote, in JSX, after a byte order mark', () => {
    expect(lines('const a = import(\'./a.js\')\nconst b = import(\'./l/\' + x)\n', 'm.js', false)).toEqual([[2, 11, 'import(\'./l/\' + x)']])
    expect(lines('const a = import("./a.js", { with: {} })\n', 'm.js', false)).toEqual([])
    expect(lines('export const v = <div>{x}</div>\nconst m = import(name)\n', 'm.js', false)).toEqual([[2, 11, 'import(name)']])
    expect(lines('\uFEFFconst m = import(name)\n', 'm.ts', false)).toEqual([[1, 11, 'import(name)']])
    // A component's file as written is not JavaScript: left to the bundler.
    expect(lines('<script setup>\nconst m = import(name)\n</script>\n', 'Page.vue', false)).toEqual([])
  })

  it('is found at the end of a chain too deep to walk by recursion', () => {
    const chain = Array.from({ length: 6000 }, (_, i) => `a${i}`).join(' + ')
    expect(lines(`const s = ${chain}\nconst m = import(name)\n`, 'm.js', false)).toEqual([[2, 11, 'import(name)']])
  })

  it('is a warning of a Vite build, with file:line:col and what to do; Vite bundles the template, not the concatenation', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const root = project(LOCALES)
    const dist = await viteBuild(root, 'dist')
    expect(warnings('names its module at run time')).toEqual([
      '[unplugin-femto] src/greet.ts:3:26: import(\'./locales/\' + lang + \'.js\') names its module at run time, so the build leaves it out: under vite dev it is found from src/greet.ts, but a built service is one file in the servers folder, where it is not. Name each module by a plain path (a map of () => import(\'./locales/en.js\') per case), or a template that starts with ./ (import(`./locales/${lang}.js`): Vite bundles every file it matches)',
    ])
    const greet = await startNode(join(dist, 'servers/greet.js'))
    const byTemplate = await startNode(join(dist, 'servers/greetByTemplate.js'))
    try {
      expect((await post(`${greet.url}/femto/greet`, ['en'])).status).toBe(500)
      expect(await post(`${byTemplate.url}/femto/greetByTemplate`, ['fr'])).toMatchObject({ status: 200, body: 'bonjour' })
    }
    finally {
      await Promise.all([greet.stop(), byTemplate.stop()])
    }
  })

  it('is a warning of the other bundlers\' builds for a template too, which they leave as it is', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const root = project(LOCALES)
    await BUNDLER_BUILDS.rollup!({ root, outDir: join(root, 'dist/client'), options: { summary: false } })
    expect(warnings('names its module at run time').map(line => line.split(' names ')[0]).sort()).toEqual([
      '[unplugin-femto] src/greet-template.ts:3:26: import(`./locales/${lang}.js`)',
      '[unplugin-femto] src/greet.ts:3:26: import(\'./locales/\' + lang + \'.js\')',
    ])
  })
})
