import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/registry/context'

const roots: string[] = []
function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'femto-scan-'))
  roots.push(root)
  for (const [path, code] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), code)
  }
  return root
}

afterEach(() => {
  for (const root of roots.splice(0))
    rmSync(root, { recursive: true, force: true })
})

describe('the directive check Vite builds decide on', () => {
  const femto = 'export async function add(a: number, b: number) {\n  \'use femto\'\n  return a + b\n}\n'

  it('is false for a project without the directive, true once a module under include has it', async () => {
    const root = project({ 'src/main.ts': 'console.log(1)\n' })
    const ctx = createContext({})
    ctx.setRoot(root)
    await expect(ctx.hasDirective()).resolves.toBe(false)
    writeFileSync(join(root, 'src/add.ts'), femto)
    await expect(ctx.hasDirective()).resolves.toBe(true)
  })

  it('reads include and exclude from the same root as the scan, so the two agree', async () => {
    const root = project({ 'lib/add.ts': femto, 'src/skip/add.ts': femto })
    const excluded = createContext({ exclude: ['src/skip/**'] })
    excluded.setRoot(root)
    await expect(excluded.hasDirective()).resolves.toBe(false)
    const included = createContext({ include: ['lib/**/*.ts'], root })
    included.setRoot('/elsewhere')
    await expect(included.hasDirective()).resolves.toBe(true)
    await included.scan()
    expect([...included.registry.keys()]).toEqual(['add'])
  })
})
