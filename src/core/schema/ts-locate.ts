import ts from 'typescript'

export type FunctionNode = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration

export function isFunctionNode(node: ts.Node): node is FunctionNode {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node)
}

/**
 * The function at a position as Babel reports it (line 1-based, column 0-based). Babel and
 * TypeScript disagree on where some functions start (TypeScript counts `export default` as part
 * of the declaration), so this takes the innermost function around the position; a position on
 * a variable name or an `export` keyword finds the function the variable is initialized with.
 */
export function findFunctionAt(file: ts.SourceFile, line: number, column: number): FunctionNode | undefined {
  if (line < 1 || line > file.getLineStarts().length)
    return undefined
  const offset = file.getPositionOfLineAndCharacter(line - 1, column)
  for (let node: ts.Node | undefined = innermostNodeAt(file, offset); node; node = node.parent) {
    if (isFunctionNode(node))
      return node
    const initialized = functionInitializerOf(node)
    if (initialized)
      return initialized
  }
  return undefined
}

function innermostNodeAt(file: ts.SourceFile, offset: number): ts.Node | undefined {
  let found: ts.Node | undefined
  const visit = (node: ts.Node): void => {
    if (node.getStart(file) <= offset && offset < node.end) {
      found = node
      ts.forEachChild(node, visit)
    }
  }
  ts.forEachChild(file, visit)
  return found
}

/** `const f = async () => {}`, `export const f = (async () => {}) as Fn`: the function it binds. */
function functionInitializerOf(node: ts.Node): FunctionNode | undefined {
  let declaration: ts.VariableDeclaration | undefined
  if (ts.isVariableDeclaration(node))
    declaration = node
  else if (ts.isVariableStatement(node) && node.declarationList.declarations.length === 1)
    declaration = node.declarationList.declarations[0]
  let init = declaration?.initializer
  while (init && (ts.isParenthesizedExpression(init) || ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isTypeAssertionExpression(init) || ts.isNonNullExpression(init)))
    init = init.expression
  return init && isFunctionNode(init) ? init : undefined
}
