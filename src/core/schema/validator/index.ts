import type { FunctionSchema } from '../types'
import { ValidatorCompiler } from './compiler'

/**
 * Compiles the argument schemas of a function into the source of a validator that each service
 * embeds: `function (args) { ... }`, returning `undefined` for valid arguments, otherwise the
 * first error, e.g. `$.lines[0].qty: expected number`.
 *
 * The output is straight-line code with no dependencies: every keyword is decided at build time,
 * regexes, sets and helpers are hoisted into an enclosing IIFE, and a call allocates nothing
 * unless it converts a value. Every string that comes from a schema (property names, constants,
 * patterns, messages) reaches the code through `JSON.stringify`, so no schema can inject code.
 *
 * Values of the `x-femto-type` table (types.ts) are checked as the JavaScript values the rich
 * encoding decodes to; their JSON forms (an ISO string for a Date, a list of entries for a Map…)
 * are accepted too and converted in place, in the array or object that holds them, so the
 * function always receives the declared type.
 *
 * Unions (`anyOf`, and `oneOf` alike) try their branches in order and the first match wins. A
 * branch that would convert is first tried by a check that writes nothing (every schema compiles
 * to such a check); only the branch that matched then runs again in converting mode. A failed
 * branch therefore never leaves half-converted values behind, at the price of checking the
 * matching branch twice. When no other branch accepts the same kinds of values (`Date | null`,
 * `Node | null`: the common case) that price is not paid: the branch converts straight away, as
 * its failure is the union's failure, and the function is never called with what it left.
 */
export function compileValidator(schema: FunctionSchema): string {
  return new ValidatorCompiler(schema.defs).compile(schema.params)
}

export { MAX_CALLS, MAX_DEPTH, MAX_ITEMS } from './limits'
