import type { Plugin as RolldownPlugin } from 'rolldown'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, extname, relative, resolve } from 'node:path'
import { parseAst } from 'rolldown/parseAst'
import { OWN_FILES } from './runtime-paths'

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

/**
 * `import(` not followed by one plain string and its end: maybe a module named at run time
 * (parsed to be sure). Most dynamic imports name their module plainly, and are not parsed.
 */
const MAYBE_COMPUTED_IMPORT = /\bimport\s*\((?!\s*(?:'[^'\\\n]*'|"[^"\\\n]*")\s*[,)])/

/** Modules as written that can be parsed as JavaScript or TypeScript (not a `.vue` or `.svelte` file). */
const LANG_OF: Record<string, 'jsx' | 'ts' | 'tsx'> = { '.js': 'jsx', '.mjs': 'jsx', '.cjs': 'jsx', '.jsx': 'jsx', '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx' }

export interface ComputedImport {
  /** 1-based. */
  line: number
  /** 1-based, as editors show it. */
  column: number
  /** The expression as written, shortened. */
  text: string
}

interface EstreeNode { type: string, start: number, end: number, [key: string]: unknown }

/**
 * Where `source` (a module as written, at `file`) imports a module whose name it makes at run
 * time (`import('./locales/' + lang + '.js')`, `import(name)`): a bundler leaves such an import
 * as it is. `templatesBundled`: a template Vite's build bundles is not one (`viteBundles`);
 * other bundlers leave templates too. `import(/* @vite-ignore *\/ name)` is one on purpose, as
 * under Vite. A module that does not parse says nothing: the bundler reports it.
 */
export function computedImports(text: string, file: string, templatesBundled: boolean): ComputedImport[] {
  const lang = LANG_OF[extname(file)]
  if (!lang || !MAYBE_COMPUTED_IMPORT.test(text))
    return []
  // Positions count from after a byte order mark, as editors do.
  const source = text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text
  let program: EstreeNode
  try {
    program = parseAst(source, { lang }, file) as unknown as EstreeNode
  }
  catch {
    return []
  }
  const found: ComputedImport[] = []
  // A loop, not recursion: a long chain of `+` nests as deep as it is long.
  const pending: unknown[] = [program]
  while (pending.length > 0) {
    const node = pending.pop()
    if (!node || typeof node !== 'object')
      continue
    if (Array.isArray(node)) {
      for (const child of node)
        pending.push(child)
      continue
    }
    const { type, start, end } = node as EstreeNode
    if (type === 'ImportExpression' && isComputed((node as EstreeNode).source as EstreeNode, templatesBundled)) {
      const written = source.slice(start, end).replace(/\s+/g, ' ')
      // Vite's own way to say "left as it is, on purpose".
      if (!written.includes('@vite-ignore')) {
        const before = source.slice(0, start)
        found.push({ line: before.split('\n').length, column: start - before.lastIndexOf('\n'), text: written.length > 80 ? `${written.slice(0, 79)}…` : written })
      }
    }
    for (const key in node) {
      if (key !== 'type' && key !== 'start' && key !== 'end')
        pending.push((node as Record<string, unknown>)[key])
    }
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column)
}

function isComputed(name: EstreeNode, templatesBundled: boolean): boolean {
  if (name.type === 'Literal')
    return false
  if (name.type !== 'TemplateLiteral')
    return true
  const parts = (name.quasis as { value: { cooked: string | null } }[]).map(quasi => quasi.value.cooked ?? '')
  if (parts.length === 1)
    return false
  return !(templatesBundled && viteBundles(parts))
}

/**
 * Whether Vite's build bundles a template import (its dynamic-import-vars: every file the
 * template matches as a glob), by its rules: relative, in a folder of its own, with an
 * extension. A start that is neither relative nor absolute may be an alias or a subpath import
 * (`@/locales/${lang}.js`), which Vite resolves first: taken as bundled, rather than warned
 * about wrongly.
 */
function viteBundles(parts: string[]): boolean {
  const glob = parts.join('*').replace(/\*\*/g, '*')
  if (glob.startsWith('*') || glob.startsWith('/') || extname(glob) === '')
    return false
  return !/^\.\/\*\.\w+$/.test(glob)
}

/**
 * The warning for such an import in a module a service bundles: under `vite dev` the module
 * runs from its own folder and Node finds what it names; a built service is one file in the
 * servers folder, where the project's modules are not, so the call fails only when it runs.
 */
export function computedImportWarning(root: string, id: string, found: ComputedImport, templatesBundled: boolean): string {
  const module = relative(root, id).replace(/\\/g, '/')
  // eslint-disable-next-line no-template-curly-in-string -- the code the user would write, not a template
  const template = templatesBundled ? ', or a template that starts with ./ (import(`./locales/${lang}.js`): Vite bundles every file it matches)' : ''
  return `[unplugin-femto] ${module}:${found.line}:${found.column}: ${found.text} names its module at run time, so the build leaves it out: under vite dev it is found from ${module}, but a built service is one file in the servers folder, where it is not. Name each module by a plain path (a map of () => import('./locales/en.js') per case)${template}`
}

// Modules already warned about, with a digest of the text they were warned for: a module is
// bundled once per service by some bundlers, and a watch rebuild of an unchanged module says nothing new.
const warned = new Map<string, string>()

/**
 * A plugin of the services' builds: warns, once per module and text, about each file a module
 * of the project finds by its own URL (`files` and `femtoFile` are how a service ships one),
 * and each module it imports by a name made at run time. `templatesBundled`: the build bundles
 * what a relative template names (Vite's).
 */
export function moduleRelativeFilesPlugin(root: () => string, { templatesBundled = false, warn = console.warn }: { templatesBundled?: boolean, warn?: (message: string) => void } = {}): RolldownPlugin {
  return {
    name: 'femto:module-relative-files',
    transform: {
      filter: { id: { exclude: [/[\\/]node_modules[\\/]/, /^\0/, OWN_FILES] }, code: /import\.meta\.url|\bimport\s*\(/ },
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
        const digest = createHash('sha1').update(source).digest('base64')
        if (warned.get(file) === digest)
          return
        warned.set(file, digest)
        let found: string[]
        try {
          found = [
            ...moduleRelativeFiles(source).map(one => moduleRelativeFileWarning(root(), file, one)),
            ...computedImports(source, file, templatesBundled).map(one => computedImportWarning(root(), file, one, templatesBundled)),
          ]
        }
        catch {
          // A warning's check never fails a build.
          return
        }
        for (const message of found)
          warn(message)
      },
    },
  }
}
