import { parseAst } from 'rolldown/parseAst'

type Statement = ReturnType<typeof parseAst>['body'][number]
type Expression = Extract<Statement, { type: 'ExpressionStatement' }>['expression']

/**
 * A module file of Vite's shared build, cut once into what each service's pass keeps of it.
 *
 * In that build each femto function is `var fn = __FEMTO_HOSTED_fn__ ? <body> : <stub>`. A
 * service's pass writes its flags and lets rolldown drop what nothing uses, but rolldown parses
 * the whole file first: in a module of 1000 functions, every one of the 1000 passes parsed 999
 * declarations it then dropped (design record 0038). This drops them before rolldown sees them:
 * a declaration of another service's function goes when nothing kept names it.
 *
 * "Names" is read from the text, every word that could be an identifier: a word in a string or
 * a property name keeps a declaration rolldown would have dropped, never the reverse. What other
 * files import is read the same way, from every file the service may load.
 */
export interface FlaggedFile {
  /** The file's text between statements: `gaps[i]` comes before `parts[i]`. */
  gaps: string[]
  parts: Part[]
  /** Each flagged declaration's part, by the name it declares. */
  byName: Map<string, number>
  /** The flagged declarations the file's other statements name: kept in every service. */
  named: number[]
  /** Every word of the file. */
  words: Set<string>
}

type Part
  = | { kind: 'kept', text: string, words: Set<string> }
    | { kind: 'flagged', text: string, name: string, flag: string, words: Set<string> }
    | { kind: 'exports', specifiers: { local: string, exported: string }[] }

type FlaggedPart = Extract<Part, { kind: 'flagged' }>

/** A word that may be an identifier, in any script (`prixÉté`), as JavaScript allows. */
const WORD = /[\p{ID_Start}_$][\p{ID_Continue}$\u200C\u200D]*/gu
/** An export's name written as a word (`export { a as "b-c" }` is allowed too). */
const IDENTIFIER = new RegExp(`^${WORD.source}$`, 'u')
/** `__FEMTO_HOSTED_<fn>__` (registry/context.ts `hostedFlag`), for a name in any script. */
const FLAG = /(?<![\p{ID_Continue}$])(__FEMTO_HOSTED_[\p{ID_Continue}$]+__)(?![\p{ID_Continue}$])/u
const FLAG_NAME = /^__FEMTO_HOSTED_[\p{ID_Continue}$]+__$/u
const FLAGS = new RegExp(FLAG.source, 'gu')

/** The file cut at its top-level statements, or undefined when it has fewer than two flagged declarations. */
function cutFlaggedFile(code: string): FlaggedFile | undefined {
  const gaps: string[] = []
  const parts: Part[] = []
  const byName = new Map<string, number>()
  let at = 0
  for (const statement of parseAst(code).body) {
    gaps.push(code.slice(at, statement.start))
    at = statement.end
    const text = code.slice(statement.start, statement.end)
    const declaration = flaggedDeclaration(statement)
    if (declaration) {
      byName.set(declaration.name, parts.length)
      parts.push({ kind: 'flagged', text, ...declaration, words: wordsOf(text) })
    }
    else if (statement.type === 'ExportNamedDeclaration' && !statement.declaration && !statement.source) {
      parts.push({ kind: 'exports', specifiers: statement.specifiers.map(s => ({ local: nameOf(s.local), exported: nameOf(s.exported) })) })
    }
    else {
      parts.push({ kind: 'kept', text, words: wordsOf(text) })
    }
  }
  gaps.push(code.slice(at))
  if (byName.size < 2)
    return undefined
  const named = new Set<number>()
  for (const part of parts) {
    if (part.kind !== 'kept')
      continue
    for (const word of part.words) {
      const i = byName.get(word)
      if (i !== undefined)
        named.add(i)
    }
  }
  return { gaps, parts, byName, named: [...named], words: wordsOf(code) }
}

/**
 * The files of one shared build as each service's pass reads them: its flags written as `true`
 * or `false`, which is what a define of every flag would do, without a define of every function
 * for every service (a thousand functions: a million entries, most of the pass's own time). Only
 * the transform writes these names, and only as identifiers. Each file is cut once for every
 * service: a file of several femto functions at its statements, so that the other services'
 * declarations nothing uses are not even parsed; any other at its flags.
 *
 * Entry files (`<service>.js`, top level) are each one service's own; module files (`modules/…`,
 * `chunks/…`) may load in any service.
 */
export class SharedFiles {
  /** Each file with flags, cut at its statements, or at its flags (text, flag, text, …). */
  private cuts = new Map<string, FlaggedFile | string[]>()
  /** In how many module files each word is. */
  private counts?: Map<string, number>
  /** Module files that import a module whole (`import * as`, `export *`, `import()`). */
  private wholeImporters?: string[]

  constructor(private code: ReadonlyMap<string, string>) {}

  /** `file` as the service of entry file `entry` gets it; undefined for a file the build did not write. */
  forService(file: string, entry: string, hosts: (flag: string) => boolean): string | undefined {
    const code = this.code.get(file)
    if (code === undefined || !code.includes('__FEMTO_HOSTED_'))
      return code
    let cut = this.cuts.get(file)
    if (!cut) {
      // Not cut at statements when a computed name could reach any declaration (imported whole).
      cut = (namesTwoFlags(code) && !this.importedWhole(file) ? cutFlaggedFile(code) : undefined) ?? code.split(FLAG)
      this.cuts.set(file, cut)
    }
    if (Array.isArray(cut)) {
      let out = cut[0]!
      for (let i = 1; i < cut.length; i += 2)
        out += (hosts(cut[i]!) ? 'true' : 'false') + cut[i + 1]!
      return out
    }
    const counts = this.wordCounts()
    const own = cut.words
    const entryWords = wordsOf(this.code.get(entry) ?? '')
    return prunedFor(cut, hosts, word => entryWords.has(word) || (counts.get(word) ?? 0) > (own.has(word) ? 1 : 0))
  }

  private importedWhole(file: string): boolean {
    this.wholeImporters ??= this.modules().filter(code => /\*\s*as\b|\bexport\s*\*|\bimport\s*\(/.test(code))
    const base = file.slice(file.lastIndexOf('/') + 1)
    return this.wholeImporters.some(code => code.includes(base))
  }

  private wordCounts(): Map<string, number> {
    if (!this.counts) {
      this.counts = new Map()
      for (const code of this.modules()) {
        for (const word of wordsOf(code))
          this.counts.set(word, (this.counts.get(word) ?? 0) + 1)
      }
    }
    return this.counts
  }

  private modules(): string[] {
    return [...this.code].filter(([file]) => file.includes('/')).map(([, code]) => code)
  }
}

/**
 * The file as one service's pass gets it: its flags written as `true`/`false`, and the flagged
 * declarations it does not host left out unless something kept names them. `namedElsewhere`:
 * whether another file this service may load has the word (the default export, imported by
 * another name, and an export named by a string, which is no word, are always kept).
 */
function prunedFor(file: FlaggedFile, hosts: (flag: string) => boolean, namedElsewhere: (word: string) => boolean): string {
  const { parts, byName } = file
  const kept = new Set<number>()
  const pending: number[] = []
  const keep = (i: number | undefined): void => {
    if (i !== undefined && !kept.has(i)) {
      kept.add(i)
      pending.push(i)
    }
  }
  file.named.forEach(keep)
  parts.forEach((part, i) => {
    if (part.kind === 'flagged' && hosts(part.flag))
      keep(i)
    else if (part.kind === 'exports')
      part.specifiers.filter(s => s.exported === 'default' || !IDENTIFIER.test(s.exported) || namedElsewhere(s.exported)).forEach(s => keep(byName.get(s.local)))
  })
  // What a kept declaration names is kept too (a hosted body calling another function's stub).
  for (let i = pending.pop(); i !== undefined; i = pending.pop()) {
    for (const word of (parts[i] as FlaggedPart).words)
      keep(byName.get(word))
  }
  let out = ''
  parts.forEach((part, i) => {
    out += file.gaps[i]!
    if (part.kind === 'exports') {
      const left = part.specifiers.filter(s => !byName.has(s.local) || kept.has(byName.get(s.local)!))
      out += `export { ${left.map(s => (s.local === s.exported ? s.local : `${s.local} as ${IDENTIFIER.test(s.exported) ? s.exported : JSON.stringify(s.exported)}`)).join(', ')} };`
    }
    else if (part.kind === 'kept' || kept.has(i)) {
      out += part.text
    }
  })
  return writeFlags(out + file.gaps.at(-1)!, hosts)
}

/** Not parsed otherwise: a thousand modules of one function each were a thousand parses for nothing. */
function namesTwoFlags(code: string): boolean {
  const first = code.indexOf('__FEMTO_HOSTED_')
  return first !== -1 && code.includes('__FEMTO_HOSTED_', first + 1)
}

/** Each `__FEMTO_HOSTED_<fn>__` as `true` or `false` for this service. */
function writeFlags(code: string, hosts: (flag: string) => boolean): string {
  return code.replace(FLAGS, flag => (hosts(flag) ? 'true' : 'false'))
}

/** `var <name> = <flag> ? <function> : <function>`: nothing runs while it is declared. */
function flaggedDeclaration(statement: Statement): { name: string, flag: string } | undefined {
  if (statement.type !== 'VariableDeclaration' || statement.declarations.length !== 1)
    return undefined
  const { id, init } = statement.declarations[0]!
  if (id.type !== 'Identifier' || init?.type !== 'ConditionalExpression' || init.test.type !== 'Identifier' || !FLAG_NAME.test(init.test.name))
    return undefined
  const isFunction = (node: Expression): boolean => node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression'
  return isFunction(init.consequent) && isFunction(init.alternate) ? { name: id.name, flag: init.test.name } : undefined
}

function nameOf(node: { type: string, name?: string, value?: unknown }): string {
  return node.type === 'Identifier' ? node.name! : String(node.value)
}

function wordsOf(text: string): Set<string> {
  return new Set(text.match(WORD))
}
