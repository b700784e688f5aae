import ts from 'typescript'

/**
 * The JSDoc blocks of a function, including the one written before `export const f = async () => {}`,
 * which TypeScript attaches to the variable statement rather than to the function.
 */
export function jsDocsOf(fn: ts.Node): ts.JSDoc[] {
  const own = ts.getJSDocCommentsAndTags(fn).filter(ts.isJSDoc)
  if (own.length > 0)
    return own
  let host: ts.Node = fn
  while (ts.isParenthesizedExpression(host.parent) || ts.isAsExpression(host.parent) || ts.isSatisfiesExpression(host.parent)
    || ts.isTypeAssertionExpression(host.parent) || ts.isNonNullExpression(host.parent)) {
    host = host.parent
  }
  if (ts.isVariableDeclaration(host.parent) && ts.isVariableStatement(host.parent.parent.parent))
    host = host.parent.parent.parent
  else if (ts.isExportAssignment(host.parent))
    host = host.parent
  return host === fn ? [] : ts.getJSDocCommentsAndTags(host).filter(ts.isJSDoc)
}

export function descriptionOf(docs: readonly ts.JSDoc[]): string | undefined {
  for (const doc of [...docs].reverse()) {
    const text = cleanComment(doc.comment)
    if (text)
      return text
  }
  return undefined
}

/**
 * `@param name text` for a parameter. A destructured parameter has no name to match, so it
 * takes, in order, the `@param` tags that name no parameter.
 */
export function paramDescriptionOf(docs: readonly ts.JSDoc[], param: ts.ParameterDeclaration): string | undefined {
  const tags = docs.flatMap(doc => doc.tags ?? []).filter(ts.isJSDocParameterTag).filter(tag => ts.isIdentifier(tag.name))
  const tagName = (tag: ts.JSDocParameterTag): string => (tag.name as ts.Identifier).text
  if (ts.isIdentifier(param.name)) {
    const name = param.name.text
    return cleanComment(tags.find(tag => tagName(tag) === name)?.comment)
  }
  const params = param.parent.parameters
  const named = new Set(params.flatMap(p => (ts.isIdentifier(p.name) ? [p.name.text] : [])))
  const destructured = params.filter(p => !ts.isIdentifier(p.name))
  return cleanComment(tags.filter(tag => !named.has(tagName(tag)))[destructured.indexOf(param)]?.comment)
}

export function isThisParameter(param: ts.ParameterDeclaration): boolean {
  return ts.isIdentifier(param.name) && param.name.text === 'this'
}

/** The text of a documentation comment, without a leading `- ` (`@param x - text`). */
export function cleanComment(comment: string | ts.NodeArray<ts.JSDocComment> | undefined): string | undefined {
  const text = ts.getTextOfJSDocComment(comment)?.trim().replace(/^-\s+/, '')
  return text || undefined
}
