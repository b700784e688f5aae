import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/registry/context'
import { tempProjects } from '../support/temp-project'

const project = tempProjects('femto-scan-')

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
