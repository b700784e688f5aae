import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { treeDigest } from '../../src/core/build/bundle-cache'

// The runtime's part of a kept service file's key (bundle-cache.ts): each service's pass reads the
// runtime from disk, so any change to any of its files, however deep, must make the file again.

const made: string[] = []

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'femto-tree-'))
  made.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

afterEach(() => {
  for (const root of made.splice(0))
    rmSync(root, { recursive: true, force: true })
})

const RUNTIME = { 'server.js': 'export * from "./server/http.js"', 'server/http.js': 'export const port = 1', 'shared/codec.js': 'export const a = 1' }

describe('treeDigest', () => {
  it('is the same for the same files wherever the folder is', () => {
    expect(treeDigest(tree(RUNTIME))).toBe(treeDigest(tree(RUNTIME)))
  })

  it('changes when a file in a subfolder changes, even to the same size', () => {
    const root = tree(RUNTIME)
    const before = treeDigest(root)
    writeFileSync(join(root, 'server/http.js'), 'export const port = 2')
    expect(treeDigest(root)).not.toBe(before)
  })

  it('changes when a file is added, removed or moved', () => {
    const root = tree(RUNTIME)
    const digests = new Set([treeDigest(root)])
    writeFileSync(join(root, 'server/extra.js'), '')
    digests.add(treeDigest(root))
    rmSync(join(root, 'server/extra.js'))
    renameSync(join(root, 'shared/codec.js'), join(root, 'server/codec.js'))
    digests.add(treeDigest(root))
    expect(digests.size).toBe(3)
  })
})
