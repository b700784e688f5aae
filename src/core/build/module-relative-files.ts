import type { Plugin as RolldownPlugin } from 'rolldown'
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

/** `import(` not followed by a quote: maybe a module named at run time (parsed to be sure). */
const MAYBE_COMPUTED_IMPORT = /\bimport\s*\(\s*[^'"\s]/

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
 * as it is. `templatesBundled`: a template that starts with `./` or `../` is not one (Vite's
 * build bundles every file it can match, `import(\`./locales/${lang}.js\`)`); other bundlers
 * leave templates too. `import(/* @vite-ignore *\/ name)` is one on purpose, as under Vite. A
 * module that does not parse says nothing: the bundler reports it.
 */
export function computedImports(source: string, file: string, templatesBundled: boolean): ComputedImport[] {
  if (!MAYBE_COMPUTED_IMPORT.test(source))
    return []
  let program: unknown
  try {
    program = parseAst(source, { lang: langOf(file) }, file)
  }
  catch {
    return []
  }
  const found: ComputedImport[] = []
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object')
      return
    if (Array.isArray(node)) {
      for (const child of node)
        visit(child)
      return
    }
    const { type } = node as EstreeNode
    if (type === 'ImportExpression' && isComputed((node as EstreeNode).source as EstreeNode, templatesBundled)) {
      const { start, end } = node as EstreeNode
      const before = source.slice(0, start)
      const text = source.slice(start, end).replace(/\s+/g, ' ')
      // Vite's own way to say "left as it is, on purpose".
      if (text.includes('@vite-ignore'))
        return
      found.push({ line: before.split('\n').length, column: start - before.lastIndexOf('\n'), text: text.length > 80 ? `${text.slice(0, 79)}…` : text })
    }
    for (const key in node) {
      if (key !== 'type' && key !== 'start' && key !== 'end')
        visit((node as Record<string, unknown>)[key])
    }
  }
  visit(program)
  return found
}

function isComputed(name: EstreeNode, templatesBundled: boolean): boolean {
  if (name.type === 'Literal')
    return false
  if (name.type !== 'TemplateLiteral')
    return true
  const quasis = name.quasis as { value: { cooked: string | null } }[]
  if (quasis.length === 1)
    return false
  return !(templatesBundled && /^\.{1,2}\//.test(quasis[0]!.value.cooked ?? ''))
}

function langOf(file: string): 'js' | 'jsx' | 'ts' | 'tsx' {
  const extension = extname(file)
  if (extension === '.tsx' || extension === '.jsx')
    return extension.slice(1) as 'tsx' | 'jsx'
  return /^\.[cm]?ts$/.test(extension) ? 'ts' : 'js'
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

// Modules already warned about, with the text they were warned for: a module is bundled once per
// service by some bundlers, and a watch rebuild of an unchanged module says nothing new.
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
        if (warned.get(file) === source)
          return
        warned.set(file, source)
        for (const found of moduleRelativeFiles(source))
          warn(moduleRelativeFileWarning(root(), file, found))
        for (const found of computedImports(source, file, templatesBundled))
          warn(computedImportWarning(root(), file, found, templatesBundled))
      },
    },
  }
}
