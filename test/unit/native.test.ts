import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { addonMarker, nativeDetector, packageName } from '../../src/core/build/native-detect'
import { importsPackage, shippedPath } from '../../src/core/build/native-ship'
import { packageFolders } from '../../src/core/deploy/model'

const root = mkdtempSync(join(tmpdir(), 'femto-native-unit-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A package installed under `<root>/node_modules`, with the files given. */
function install(name: string, manifest: Record<string, unknown>, files: string[] = []): string {
  const dir = join(root, 'node_modules', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, ...manifest }))
  for (const file of files)
    writeFileSync(join(dir, file), '')
  return dir
}

describe('which installed packages are native', () => {
  it('reads the markers of each package a service imports, and of its optional dependencies, as Node resolves it from the importer', () => {
    install('wraps-db', { dependencies: { 'sqlite-ish': '1' } })
    install('sqlite-ish', { dependencies: { bindings: '1' } })
    install('bindings', {})
    install('plain', {})
    install('gyp-thing', {}, ['binding.gyp'])
    install('napi-thing', { optionalDependencies: { 'napi-thing-linux-x64': '1', 'napi-thing-darwin-arm64': '1' } })
    install('napi-thing-linux-x64', { main: 'thing.linux-x64.node' }, ['thing.linux-x64.node'])
    install('@scope/addon', {}, ['prebuilds'])
    install('never-imported', {}, ['binding.gyp'])
    // A copy nested under wraps-db: its importers get that one, which is plain.
    mkdirSync(join(root, 'node_modules/wraps-db/node_modules/gyp-thing'), { recursive: true })
    writeFileSync(join(root, 'node_modules/wraps-db/node_modules/gyp-thing/package.json'), JSON.stringify({ name: 'gyp-thing' }))
    const native = nativeDetector(root, ['reads-its-files'])
    const app = join(root, 'src/app.ts')
    const fromWrapsDb = join(root, 'node_modules/wraps-db/index.js')
    expect(native.isExternal('wraps-db', app)).toBe(false)
    expect(native.isExternal('sqlite-ish', fromWrapsDb)).toBe(true)
    expect(native.isExternal('plain', app)).toBe(false)
    expect(native.isExternal('gyp-thing/lib/x.js', app)).toBe(true)
    expect(native.isExternal('gyp-thing', fromWrapsDb)).toBe(false)
    expect(native.isExternal('napi-thing', undefined)).toBe(true)
    expect(native.isExternal('@scope/addon/sub', app)).toBe(true)
    expect(native.isExternal('reads-its-files/x', app)).toBe(true)
    for (const id of ['./local', '/abs/path.js', 'node:fs', 'fs', 'fs/promises', '\0virtual', 'virtual:thing', 'not-installed'])
      expect(native.isExternal(id, app), id).toBe(false)
    const found = native.found()
    expect(found.ids).toEqual(['@scope/addon', 'gyp-thing', 'napi-thing', 'reads-its-files', 'sqlite-ish'])
    expect(Object.fromEntries(found.reasons)).toEqual({
      'sqlite-ish': 'depends on bindings',
      'gyp-thing': 'binding.gyp',
      'napi-thing': 'its binary is in napi-thing-linux-x64',
      '@scope/addon': 'prebuilds/',
      'reads-its-files': 'external option',
    })
  })

  it('names the package of an import', () => {
    expect(packageName('pkg')).toBe('pkg')
    expect(packageName('pkg/sub/file.js')).toBe('pkg')
    expect(packageName('@scope/pkg/sub')).toBe('@scope/pkg')
    for (const id of ['@scope', './x', '../x', '/x', 'node:fs', 'path', '\0femto-entry', 'virtual:x', 'C:/x'])
      expect(packageName(id), id).toBeUndefined()
  })

  it('finds prebuilds, .node files and node-pre-gyp settings', () => {
    expect(addonMarker(install('p1', {}, ['prebuilds']), {})).toBe('prebuilds/')
    expect(addonMarker(install('p2', {}, ['addon.node']), {})).toBe('ships addon.node')
    expect(addonMarker(install('p3', {}), { binary: { module_name: 'x' } })).toBe('node-pre-gyp binary')
    expect(addonMarker(install('p4', {}), { dependencies: { 'node-gyp-build': '4' } })).toBe('depends on node-gyp-build')
    expect(addonMarker(install('p5', {}, ['index.js']), { main: 'index.js' })).toBeUndefined()
  })
})

describe('what a bundle imports and where shipped files go', () => {
  it('sees a package imported by name or subpath, as bundlers write imports, and not a package whose name it prefixes', () => {
    expect(importsPackage('import Database from "better-sqlite3";', 'better-sqlite3')).toBe(true)
    expect(importsPackage('const x = __require("better-sqlite3/lib/database.js")', 'better-sqlite3')).toBe(true)
    expect(importsPackage('await import(\'@scope/addon\')', '@scope/addon')).toBe(true)
    expect(importsPackage('import "better-sqlite3-helper";', 'better-sqlite3')).toBe(false)
    expect(importsPackage('const name = "better-sqlite3"', 'better-sqlite3')).toBe(false)
  })

  it('keeps npm\'s nesting and flattens pnpm\'s store', () => {
    expect(shippedPath('/app/node_modules/better-sqlite3/build/Release/x.node')).toBe('node_modules/better-sqlite3/build/Release/x.node')
    expect(shippedPath('/app/node_modules/a/node_modules/b/index.js')).toBe('node_modules/a/node_modules/b/index.js')
    expect(shippedPath('/app/node_modules/.pnpm/bindings@1.5.0/node_modules/bindings/bindings.js')).toBe('node_modules/bindings/bindings.js')
    expect(shippedPath('/app/src/db.js')).toBeUndefined()
  })

  it('copies each shipped package folder once into an image', () => {
    expect(packageFolders(['node_modules/a/x.js', 'node_modules/a/lib/y.js', 'node_modules/@s/b/z.node', 'node_modules/a/node_modules/c/i.js'])).toEqual(['node_modules/@s/b', 'node_modules/a'])
  })
})
