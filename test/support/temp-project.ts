import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'

/**
 * Projects written to temporary folders for one test each: `project(files)` writes the files
 * (path → text) under a new folder and returns it; every folder is removed after each test.
 */
export function tempProjects(prefix: string): (files: Record<string, string>) => string {
  const roots: string[] = []
  afterEach(() => {
    for (const root of roots.splice(0))
      rmSync(root, { recursive: true, force: true })
  })
  return (files) => {
    const root = mkdtempSync(join(tmpdir(), prefix))
    roots.push(root)
    for (const [path, code] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true })
      writeFileSync(join(root, path), code)
    }
    return root
  }
}
