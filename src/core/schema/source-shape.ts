import type * as t from '@babel/types'
import { createRequire } from 'node:module'

const SHAPED = /\.[cm]?tsx?$/

/** Per module, the last shape made on another thread, with the text it was made of. */
const madeElsewhere = new Map<string, { text: string, shape: string | undefined }>()
const slashed = (path: string): string => path.replace(/\\/g, '/')

/**
 * A shape the dev server's analysis thread made of an edited module (where Babel is loaded
 * already), so that the schema cache's check of that edit does not load and run Babel on the
 * dev server's own thread (~40 ms at the first edit).
 */
export function rememberShape(path: string, text: string, shape: string | undefined): void {
  madeElsewhere.set(slashed(path), { text, shape })
}

/**
 * What of a project's TypeScript module its schemas can depend on: the text without the parts
 * no type can see. Saving an edit inside a function body is most of a day's edits, and without
 * this each one would load TypeScript and make a program (~1 s) to find the schemas unchanged.
 *
 * Left out, and only these:
 * - the body of a function whose parameters and result are all annotated: its type is its
 *   signature, whatever the body says;
 * - the initializer of a module-level variable that is not exported and whose name appears
 *   nowhere else in the module outside such bodies: no `typeof` can reach it.
 *
 * Each part left out keeps its line count, and its width when something other than punctuation
 * follows it on its last line, so every position a schema's warning names stays where it was.
 * A module that does not parse has no shape (it is compared by its text).
 */
export function sourceShape(path: string, text: string): string | undefined {
  if (!SHAPED.test(path) || /\.d\.[cm]?tsx?$/.test(path) || /[\\/]node_modules[\\/]/.test(path))
    return undefined
  const known = madeElsewhere.get(slashed(path))
  if (known?.text === text)
    return known.shape
  let program: t.Program
  try {
    program = babelParser().parse(text, { sourceType: 'module', plugins: path.endsWith('x') ? ['typescript', 'jsx'] : ['typescript'] }).program
  }
  catch {
    return undefined
  }
  const hidden: [number, number][] = []
  const names: { name: string, start: number }[] = []
  walk(program, text, hidden, names)
  hideLoneInitializers(program, hidden, names)
  return shapeText(text, outermost(hidden))
}

let parser: typeof import('@babel/parser') | undefined
/** Loaded when a module's text changed, not with the schema cache: an unchanged build never parses. */
function babelParser(): typeof import('@babel/parser') {
  return parser ??= createRequire(import.meta.url)('@babel/parser') as typeof import('@babel/parser')
}

type Fn = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression | t.ObjectMethod | t.ClassMethod | t.ClassPrivateMethod

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod'])

/** Collects the bodies a signature fixes and every identifier that names something. */
function walk(node: t.Node, text: string, hidden: [number, number][], names: { name: string, start: number }[]): void {
  if (node.type === 'Identifier' || node.type === 'JSXIdentifier')
    names.push({ name: node.name, start: node.start! })
  if (FUNCTIONS.has(node.type) && isFullyAnnotated(node as Fn) && !holdsFemtoFunction((node as Fn).body, text))
    hidden.push([(node as Fn).body.start!, (node as Fn).body.end!])
  for (const key of Object.keys(node) as (keyof t.Node)[]) {
    if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments' || key === 'extra')
      continue
    const value = node[key] as unknown
    if (Array.isArray(value)) {
      for (const item of value) {
        if (isNode(item))
          walk(item, text, hidden, names)
      }
    }
    else if (isNode(value)) {
      walk(value, text, hidden, names)
    }
  }
}

/**
 * A femto function declared inside this body (its `'use femto'` past the body's own directives):
 * its signature is what a schema is made of, so the body stays.
 */
function holdsFemtoFunction(body: t.BlockStatement | t.Expression, text: string): boolean {
  const from = body.type === 'BlockStatement' && body.directives.length > 0 ? body.directives.at(-1)!.end! : body.start!
  return /['"]use femto['"]/.test(text.slice(from, body.end!))
}

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
}

function isFullyAnnotated(fn: Fn): boolean {
  if (fn.type === 'ClassMethod' && fn.kind === 'constructor')
    return false
  const returns = fn.type === 'ObjectMethod' || fn.type === 'ClassMethod' || fn.type === 'ClassPrivateMethod' ? fn.kind === 'set' || fn.returnType : fn.returnType
  return Boolean(returns) && fn.params.every(isAnnotatedParam)
}

function isAnnotatedParam(param: t.Node): boolean {
  if (param.type === 'AssignmentPattern')
    return isAnnotatedParam(param.left)
  if (param.type === 'TSParameterProperty')
    return isAnnotatedParam(param.parameter)
  return 'typeAnnotation' in param && Boolean(param.typeAnnotation)
}

/** Module-level variables no type can name: not exported, and not named outside hidden bodies. */
function hideLoneInitializers(program: t.Program, hidden: [number, number][], names: { name: string, start: number }[]): void {
  const inHidden = (at: number): boolean => hidden.some(([start, end]) => at >= start && at < end)
  const uses = new Map<string, number[]>()
  for (const { name, start } of names) {
    if (inHidden(start))
      continue
    const seen = uses.get(name)
    if (seen)
      seen.push(start)
    else
      uses.set(name, [start])
  }
  for (const statement of program.body) {
    if (statement.type !== 'VariableDeclaration' || statement.declare)
      continue
    for (const declarator of statement.declarations) {
      const { id, init } = declarator
      if (id.type === 'Identifier' && init && (uses.get(id.name) ?? []).every(at => at === id.start))
        hidden.push([init.start!, init.end!])
    }
  }
}

function outermost(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || b[1] - a[1])
  const kept: [number, number][] = []
  for (const range of sorted) {
    const last = kept.at(-1)
    if (!last || range[0] >= last[1])
      kept.push(range)
  }
  return kept
}

// What may follow a hidden part on its line without being a position a warning can name.
const PUNCTUATION_TO_LINE_END = /^[\s;,)\]}]*(?:\/\/[^\n]*)?(?:\n|$)/

function shapeText(text: string, hidden: [number, number][]): string {
  let shape = ''
  let from = 0
  for (const [start, end] of hidden) {
    const part = text.slice(start, end)
    const lines = part.split('\n')
    const width = PUNCTUATION_TO_LINE_END.test(text.slice(end, text.indexOf('\n', end) + 1 || undefined)) ? '' : `:${lines.at(-1)!.length}`
    shape += `${text.slice(from, start)}\u0000${lines.length - 1}${width}\u0000`
    from = end
  }
  return shape + text.slice(from)
}
