import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// What a browser bundle of the stubs pulls in: every module reached from `client/` and `shared/`
// (and from `unplugin-femto/runtime`, what the stubs import) by imports that survive compilation.
// A Node built-in or anything of `server/` there would break, or bloat, every page that calls a function.

const RUNTIME = resolve(import.meta.dirname, '../../src/runtime')
const SERVER = join(RUNTIME, 'server')
const BUILTINS = new Set(builtinModules)

/** Specifiers a module imports at run time: `import type` and `export type` are erased, so they do not count. */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier))
      found.push(node.moduleSpecifier.text)
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier))
      found.push(node.moduleSpecifier.text)
    // A literal `import('…')` is followed by bundlers just the same.
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0]))
      found.push(node.arguments[0].text)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** Every problem on the import graph from `roots`: Node built-ins, and modules of server/ other than `allowed`. */
function problemsFrom(roots: string[], allowed: string[] = []): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  const queue = [...roots]
  while (queue.length > 0) {
    const file = queue.pop()!
    if (seen.has(file))
      continue
    seen.add(file)
    const from = relative(RUNTIME, file)
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]!)) {
        problems.push(`${from} imports ${specifier}`)
        continue
      }
      if (!specifier.startsWith('.'))
        continue
      const target = `${resolve(dirname(file), specifier)}.ts`
      if (target.startsWith(`${SERVER}/`) && !allowed.includes(target))
        problems.push(`${from} imports ${relative(RUNTIME, target)}`)
      else
        queue.push(target)
    }
  }
  return problems
}

const filesOf = (dir: string): string[] => readdirSync(join(RUNTIME, dir)).filter(name => name.endsWith('.ts')).map(name => join(RUNTIME, dir, name))

describe('the browser side of the runtime', () => {
  it('client/ and shared/ import nothing of Node and nothing of server/', () => {
    const roots = [...filesOf('client'), ...filesOf('shared')]
    expect(roots.length).toBeGreaterThan(0)
    expect(problemsFrom(roots)).toEqual([])
  })

  it('unplugin-femto/runtime reaches server/ only for the deprecated femtoFile, which imports nothing', () => {
    const files = join(SERVER, 'files.ts')
    expect(problemsFrom([join(RUNTIME, 'index.ts')], [files])).toEqual([])
    expect(runtimeImports(files)).toEqual([])
  })

  it('sees what it is meant to catch', () => {
    const file = join(RUNTIME, 'server', 'call.ts')
    expect(problemsFrom([file]).some(problem => problem.endsWith('imports node:http'))).toBe(true)
  })
})
