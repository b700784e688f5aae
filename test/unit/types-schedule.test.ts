import type { TypesThread } from '../../src/core/registry/types-thread'
import { describe, expect, it } from 'vitest'
import { createTypesSchedule } from '../../src/core/registry/types-schedule'

// Vite resolves a build's config once per environment, each time with a new instance of the
// plugin whose `config` hook starts the early types thread: one thread per build, not per instance.
describe('a build\'s early types thread', () => {
  const schedule = (root: string): ReturnType<typeof createTypesSchedule> => createTypesSchedule(new Map(), { types: true, cache: false, root: () => root, display: file => file })

  it('starts once for the same root and modules across instances, and again once that build ended', async () => {
    let started = 0
    const start = async (): Promise<TypesThread | undefined> => {
      started++
      return undefined
    }
    const first = schedule('/project-a')
    await first.early(['/project-a/src/a.ts'], start, false)
    await schedule('/project-a').early(['/project-a/src/a.ts'], start, false)
    expect(started).toBe(1)
    // Another build (other modules) of the same process has its own.
    await schedule('/project-a').early(['/project-a/src/b.ts'], start, false)
    expect(started).toBe(2)
    first.endEarly()
    await schedule('/project-a').early(['/project-a/src/a.ts'], start, false)
    expect(started).toBe(3)
  })

  it('starts none without types or modules', async () => {
    let started = 0
    const start = async (): Promise<TypesThread | undefined> => {
      started++
      return undefined
    }
    await createTypesSchedule(new Map(), { types: false, cache: false, root: () => '/project-b', display: file => file }).early(['/project-b/a.ts'], start, false)
    await schedule('/project-b').early([], start, false)
    expect(started).toBe(0)
  })
})
