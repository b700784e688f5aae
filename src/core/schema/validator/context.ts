import type { JsonSchema } from '../types'
import type { Test } from './conditions'
import type { Definitions } from './definitions'
import type { Hoisted } from './hoisted'
import type { PathPart } from './messages'
import type { Scope } from './scope'
import type { ValueConditions } from './value-conditions'

/** Where a converted value is written back: `owner[key]`. */
export interface Slot {
  /** The variable holding the array or object the value is in. */
  owner: string
  /** The key's JavaScript expression. */
  key: string
}

/** Where the code being emitted stands: which value, at which path, in which function. */
export interface Ctx {
  scope: Scope
  /** An expression for the value that is cheap to read again: a variable, `x.name`, `x[i]`. */
  value: string
  /** Where a conversion writes its result; set in converting mode only. */
  slot: Slot | undefined
  /** Relative to the function being generated: helpers start with an empty path. */
  path: PathPart[]
  convert: boolean
}

/** Whether the value at a location may be missing (`undefined` counts as missing). */
export type Presence = 'any' | 'required' | 'optional'

/**
 * What the modules that emit one part of JSON Schema (objects, arrays, unions…) need from the
 * compiler: its state, and the entry points to check a nested value with the whole schema.
 */
export interface Compiler {
  readonly defs: Definitions
  readonly hoisted: Hoisted
  readonly conditions: ValueConditions
  /** Checks the value at `c.value`, whichever expression it is. */
  emitValue: (schema: JsonSchema, c: Ctx, presence: Presence) => void
  /** Checks `c.value`, a variable, against every keyword of `schema`. */
  emitNode: (schema: JsonSchema, c: Ctx) => void
  /** Checks a value that `test` decides, with one message. */
  emitSimple: (schema: JsonSchema, test: Test, c: Ctx, presence: Presence) => void
}

export function slotOf(slot: Slot): string {
  return `${slot.owner}[${slot.key}]`
}
