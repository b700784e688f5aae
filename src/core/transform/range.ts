import type * as t from '@babel/types'
import { assertInternal } from './errors'

/** Offsets in the module's source, `end` exclusive. */
export interface Range { start: number, end: number }

export function rangeOf(node: t.Node): Range {
  // The parser gives every node its offsets; only a node built by hand has none.
  assertInternal(node.start != null && node.end != null, 'a parsed node has its source offsets')
  return { start: node.start, end: node.end }
}
