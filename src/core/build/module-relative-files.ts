import type { Plugin as RolldownPlugin } from 'rolldown'
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'

/** `new URL('./data.json', import.meta.url)`: a file found next to the module that names it. */
const MODULE_RELATIVE_URL = /new\s+URL\s*\(\s*(['"`])(\.{1,2}\/[^'"`$\n]*)\1\s*,\s*import\.meta\.url\s*\)/g

export interface ModuleRelativeFile {
  /** 1-based. */
  line: number
  /** 1-based, as editors show it. */
  column: number
  /** The path as written (`./data.json`). */
  path: string
}

/** Where `code` names a file by its path from the module's own URL. */
export function moduleRelativeFiles(code: string): ModuleRelativeFile[] {
  const found: ModuleRelativeFile[] = []
  for (const match of code.matchAll(MODULE_RELATIVE_URL)) {
    const before = code.slice(0, match.index)
    const line = before.split('\n').length
    found.push({ line, column: match.index - before.lastIndexOf('\n'), path: match[2]! })
  }
  return found
}

/**
 * The warning for such a file in a module a service bundles: under `vite dev` the module runs
 * from its own folder, so the file is found; a built service is one file in the servers folder,
 * so the same URL names a file that is not there, and the call fails only when it runs.
 */
export function moduleRelativeFileWarning(root: string, id: string, found: ModuleRelativeFile): string {
  const module = relative(root, id).replace(/\\/g, '/')
  const file = relative(root, resolve(dirname(id), found.path)).replace(/\\/g, '/')
  return `[unplugin-femto] ${module}:${found.line}:${found.column}: new URL('${found.path}', import.meta.url) is found next to ${module} under vite dev, but a built service is one file in the servers folder, where '${found.path}' is not: list '${file}' in the \`files\` option of the functions that read it and read it with femtoFile('${file}') from unplugin-femto/runtime/server`
}

// Modules already warned about, with the text they were warned for: a module is bundled once per
// service by some bundlers, and a watch rebuild of an unchanged module says nothing new.
const warned = new Map<string, string>()

/**
 * A plugin of the services' builds: warns, once per module and text, about each file a module
 * of the project finds by its own URL (`files` and `femtoFile` are how a service ships one).
 */
export function moduleRelativeFilesPlugin(root: () => string, warn: (message: string) => void = console.warn): RolldownPlugin {
  return {
    name: 'femto:module-relative-files',
    transform: {
      filter: { id: { exclude: [/[\\/]node_modules[\\/]/, /^\0/] }, code: 'import.meta.url' },
      handler(_code, id) {
        const file = id.replace(/[?#].*$/, '')
        let source: string
        try {
          // The module as written: positions in the code a bundler hands over may have moved.
          source = readFileSync(file, 'utf8')
        }
        catch {
          return
        }
        if (warned.get(file) === source)
          return
        warned.set(file, source)
        for (const found of moduleRelativeFiles(source))
          warn(moduleRelativeFileWarning(root(), file, found))
      },
    },
  }
}
