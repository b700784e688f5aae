import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { moduleRelativeFiles } from '../../src/core/build/module-relative-files'
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

function warnings(): string[] {
  return vi.mocked(console.warn).mock.calls.map(args => String(args[0])).filter(line => line.includes('import.meta.url'))
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
