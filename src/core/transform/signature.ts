import type * as t from '@babel/types'
import type { FemtoParam } from './analyze'
import { fnv1a } from './hash'

/** The arguments a caller passes, by position. */
export function paramsOf(node: t.Function): FemtoParam[] {
  return node.params.flatMap((p, i) => paramOf(p, i))
}

function paramOf(p: t.Function['params'][number], index: number): FemtoParam[] {
  switch (p.type) {
    case 'Identifier':
      // TypeScript's `this` parameter is a type annotation, not an argument.
      return p.name === 'this' ? [] : [{ name: p.name, optional: !!p.optional, rest: false }]
    case 'AssignmentPattern':
      return [{ name: p.left.type === 'Identifier' ? p.left.name : `arg${index}`, optional: true, rest: false }]
    case 'RestElement':
      return [{ name: p.argument.type === 'Identifier' ? p.argument.name : `arg${index}`, optional: true, rest: true }]
    case 'TSParameterProperty':
      return []
    default:
      return [{ name: `arg${index}`, optional: false, rest: false }]
  }
}

/** Hash of the signature as written, whitespace aside: what callers depend on. */
export function contractOf(name: string, node: t.Function, code: string): string {
  const params = node.params.length > 0 ? code.slice(node.params[0]!.start!, node.params.at(-1)!.end!) : ''
  const returns = node.returnType ? code.slice(node.returnType.start!, node.returnType.end!) : ''
  const shape = `${name}(${params})${returns}${node.async ? ' async' : ''}${node.generator ? ' generator' : ''}`
  return fnv1a(shape.replace(/\s+/g, ' '))
}
