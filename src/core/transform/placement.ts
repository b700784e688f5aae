import type { NodePath } from '@babel/traverse'
import type * as t from '@babel/types'
import type { Fail } from './analyze'

/** A function declared where a module-level binding or export names it. */
export function topLevelForm(path: NodePath<t.Function>): boolean {
  let p: NodePath = path
  if (path.isFunctionDeclaration())
    return p.parentPath!.isProgram() || (p.parentPath!.isExportDeclaration() && p.parentPath!.parentPath!.isProgram())
  p = unwrapParents(p)
  const parent = p.parentPath!
  if (parent.isExportDefaultDeclaration())
    return true
  if (parent.isVariableDeclarator() && p.key === 'init') {
    const decl = parent.parentPath!
    return decl.parentPath!.isProgram() || (decl.parentPath!.isExportNamedDeclaration() && decl.parentPath!.parentPath!.isProgram())
  }
  return false
}

/** Walks up through parentheses and TypeScript-only wrappers (`as`, `satisfies`, `!`). */
function unwrapParents(path: NodePath): NodePath {
  let p = path
  while (p.parentPath && ['ParenthesizedExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TypeCastExpression'].includes(p.parentPath.node.type))
    p = p.parentPath
  return p
}

/** The binding that names the function: its declaration's, or the const it initialises. */
export function localNameOf(path: NodePath<t.Function>): string | undefined {
  if (path.isFunctionDeclaration())
    return path.node.id?.name
  const p = unwrapParents(path)
  if (p.parentPath?.isVariableDeclarator() && p.key === 'init') {
    const id = p.parentPath.node.id
    return id.type === 'Identifier' ? id.name : undefined
  }
  return undefined
}

/** What a module marked 'use femto' serves without a directive of the function's own. */
export function isTopLevelExportedFunction(path: NodePath<t.Function>, exportsOf: Map<string, string[]>): boolean {
  if (!topLevelForm(path))
    return false
  const local = localNameOf(path)
  if (local)
    return exportsOf.has(local)
  return unwrapParents(path).parentPath!.isExportDefaultDeclaration()
}

/** A nested femto function becomes a module-level service, so it must not close over locals. */
export function checkNoCapture(fnPath: NodePath<t.Function>, fail: Fail): void {
  const programScope = fnPath.scope.getProgramParent()
  const check = (idPath: NodePath<t.Identifier>, name: string): void => {
    const binding = idPath.scope.getBinding(name)
    if (!binding || binding.scope === programScope)
      return
    if (binding.scope.path === fnPath || binding.scope.path.isDescendant(fnPath))
      return
    fail(`this 'use femto' function uses '${name}', a local variable of the function around it; a service runs in another process and cannot see it. Pass '${name}' as an argument, or move the function to the top level of the module`, idPath.node)
  }
  fnPath.traverse({
    ReferencedIdentifier(p) {
      if (p.isIdentifier())
        check(p, p.node.name)
    },
    AssignmentExpression(p) {
      const left = p.get('left')
      if (left.isIdentifier())
        check(left, left.node.name)
    },
    ThisExpression(p) {
      if (fnPath.isArrowFunctionExpression() && !p.findParent(q => q.isFunction() && !q.isArrowFunctionExpression() && q.isDescendant(fnPath)))
        fail(`this 'use femto' arrow function uses 'this' of the function around it; a service cannot see it. Pass what you need as an argument`, p.node)
    },
  })
}
