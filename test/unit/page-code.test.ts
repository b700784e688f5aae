import { describe, expect, it } from 'vitest'
import { createPageCode } from '../../src/core/plugin/page-code'

const mod = (id: string | null): { id: string | null } => ({ id })

describe('what vite dev gave the page (page-code.ts): an edit needs no update only when every module gives the same code', () => {
  it('takes an edit as unchanged when each module transforms to the code the page has', async () => {
    const page = createPageCode()
    page.gave('/a.ts', 'stub a')
    page.gave('/b.ts', 'stub b')
    expect(page.holds([mod('/a.ts'), mod('/b.ts')])).toBe(true)
    expect(page.holds([mod('/a.ts'), mod('/c.ts')])).toBe(false)
    expect(page.holds([])).toBe(false)
    const code = new Map([['/a.ts', 'stub a'], ['/b.ts', 'stub b']])
    expect(await page.unchanged([mod('/a.ts'), mod('/b.ts')], async id => code.get(id))).toBe(true)
    code.set('/b.ts', 'stub b, new contract')
    expect(await page.unchanged([mod('/a.ts'), mod('/b.ts')], async id => code.get(id))).toBe(false)
  })

  it('reloads as Vite would for a module it never transformed, gave as its own source, cannot build, or with no module at all', async () => {
    const page = createPageCode()
    const same = async (): Promise<string> => 'stub'
    expect(await page.unchanged([mod('/new.ts')], same)).toBe(false)
    expect(await page.unchanged([mod(null)], same)).toBe(false)
    expect(await page.unchanged([], same)).toBe(false)
    page.gave('/a.ts', 'stub')
    page.gave('/a.ts', undefined)
    expect(await page.unchanged([mod('/a.ts')], same)).toBe(false)
    page.gave('/a.ts', 'stub')
    expect(await page.unchanged([mod('/a.ts')], async () => {
      throw new Error('\'use femto\' cannot mark an object method')
    })).toBe(false)
    // A page reloaded after that edit cannot import the module: the same code later is no longer what it has.
    expect(await page.unchanged([mod('/a.ts')], same)).toBe(false)
    page.gave('/a.ts', 'stub')
    expect(await page.unchanged([mod('/a.ts')], async () => undefined)).toBe(false)
    expect(await page.unchanged([mod('/a.ts')], same)).toBe(true)
  })
})
