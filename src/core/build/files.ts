import type { Plan } from '../registry/plan'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { glob } from 'tinyglobby'

/** One run-time file of a service: its path from the project root, also its path under the servers folder. */
export interface RunTimeFile {
  path: string
  content: Buffer
}

/**
 * The `files` option: each function's patterns matched from the root, and the files copied to
 * `<serversDir>/<path>`. A pattern that matches nothing, or a file that would overwrite an
 * output of the build, is a build error. Returns the files of each service and of each function (sorted by path).
 */
export async function copyRunTimeFiles(root: string, plan: Plan, files: Record<string, string[]>, dir: string, reserved: string[]): Promise<{ byService: Map<string, RunTimeFile[]>, byFunction: Map<string, string[]> }> {
  const byService = new Map<string, Map<string, RunTimeFile>>(plan.services.map(s => [s.name, new Map()]))
  const read = new Map<string, Promise<Buffer>>()
  const byFunction = new Map<string, string[]>()
  for (const [name, patterns] of Object.entries(files)) {
    const unit = plan.serviceOf.get(name)
    if (!unit)
      throw new Error(`[unplugin-femto] files.${name}: no femto function has this name (known: ${plan.functions.map(f => f.name).join(', ')})`)
    for (const pattern of patterns) {
      const matched = (await glob(pattern, { cwd: root, onlyFiles: true, dot: true, expandDirectories: false, ignore: ['**/node_modules/**'] })).sort()
      if (matched.length === 0)
        throw new Error(`[unplugin-femto] files.${name}: '${pattern}' matches no file in ${root}`)
      for (const path of matched) {
        const top = path.split('/')[0]!
        if (reserved.includes(top))
          throw new Error(`[unplugin-femto] files.${name}: '${path}' would be copied over the build's own ${top}; move it into a folder, e.g. 'config/${path}'`)
        if (!read.has(path))
          read.set(path, readFile(join(root, path)))
        byService.get(unit.name)!.set(path, { path, content: await read.get(path)! })
        byFunction.set(name, [...new Set([...(byFunction.get(name) ?? []), path])].sort())
      }
    }
  }
  const copied = new Set<string>()
  const result = new Map<string, RunTimeFile[]>()
  for (const [service, own] of byService) {
    const list = [...own.values()].sort((a, b) => (a.path < b.path ? -1 : 1))
    result.set(service, list)
    for (const file of list) {
      if (copied.has(file.path))
        continue
      copied.add(file.path)
      const target = join(dir, file.path)
      await mkdir(dirname(target), { recursive: true })
      await copyFile(join(root, file.path), target)
    }
  }
  return { byService: result, byFunction }
}
