import ts from 'typescript'

export function skipParentheses(node: ts.TypeNode): ts.TypeNode {
  return ts.isParenthesizedTypeNode(node) ? skipParentheses(node.type) : node
}

/** The written type arguments of `T[]`, `Array<T>`, `Map<K, V>`, `readonly T[]` or a tuple, in the checker's order. */
export function spelledArguments(node: ts.TypeNode | undefined): readonly (ts.TypeNode | undefined)[] | undefined {
  if (!node)
    return undefined
  node = skipParentheses(node)
  if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.ReadonlyKeyword)
    return spelledArguments(node.type)
  if (ts.isArrayTypeNode(node))
    return [node.elementType]
  if (ts.isTypeReferenceNode(node))
    return node.typeArguments
  if (ts.isTupleTypeNode(node))
    return node.elements.map(tupleElementType)
  return undefined
}

function tupleElementType(element: ts.TypeNode): ts.TypeNode {
  let rest = false
  if (ts.isNamedTupleMember(element)) {
    rest = !!element.dotDotDotToken
    element = element.type
  }
  if (ts.isOptionalTypeNode(element))
    element = element.type
  if (ts.isRestTypeNode(element)) {
    rest = true
    element = element.type
  }
  return rest && ts.isArrayTypeNode(element) ? element.elementType : element
}
