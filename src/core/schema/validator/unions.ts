import type { JsonSchema } from '../types'
import type { Test } from './conditions'
import type { Compiler, Ctx } from './context'
import { atom, not, or, render } from './conditions'
import { describeUnion } from './describe'
import { gate } from './gates'
import { intersect, kindsOf } from './kinds'
import { message, prefixed } from './messages'
import { defFunction } from './references'
import { isBareRef } from './schema-queries'
import { Scope } from './scope'

/**
 * `anyOf` and `oneOf` alike: the branches are tried in order and the first match wins. A branch
 * that converts is tried first by a check that writes nothing, then run again, converting, once
 * it matched; unless no other branch accepts the same kinds of values (see below).
 */
export function emitUnion(compiler: Compiler, branches: JsonSchema[], c: Ctx): void {
  if (branches.length === 1) {
    compiler.emitNode(branches[0]!, c)
    return
  }
  const { scope } = c
  const { defs } = compiler
  const converting = c.convert && branches.some(branch => defs.mayConvert(branch))
  const kinds = branches.map(branch => kindsOf(branch, defs))
  // When no other branch accepts values of the same kinds, a converting branch converts straight
  // away, once its gate (a condition every value it accepts meets) lets the value in: if it then
  // fails half-way, so does the whole union, and the function is never called. (No later branch
  // would do for correctness; no earlier one either keeps the message about the whole union.)
  const alone = branches.map((branch, i) => converting && defs.mayConvert(branch) && kinds.every((other, j) => j === i || intersect(other, kinds[i]!).size === 0))
  const tests = branches.map((branch, i) => alone[i] ? { test: gate(compiler, branch, c.value, new Set()) } : branchTest(compiler, branch, c.value, scope))
  const captured = tests.map(t => t.error).filter(error => error !== undefined)
  if (captured.length)
    scope.emit(`var ${captured.join(', ')}`)
  const failure = unionFailure(compiler, branches, tests.map(t => t.error), c)
  if (!converting) {
    // Nothing converts, so order does not change the outcome: cheap conditions first.
    const ordered = [...tests.filter(t => !t.error), ...tests.filter(t => t.error)].map(t => t.test)
    scope.emit(`if (${render(not(or(ordered)))}) return ${failure}`)
    return
  }
  let keyword = 'if'
  let pending: Test[] = []
  const flush = (): void => {
    if (pending.length === 0)
      return
    scope.emit(`${keyword} (${render(or(pending))}) {}`)
    keyword = 'else if'
    pending = []
  }
  branches.forEach((branch, i) => {
    if (!defs.mayConvert(branch)) {
      pending.push(tests[i]!.test)
      return
    }
    flush()
    scope.emit(`${keyword} (${render(tests[i]!.test)}) {`)
    compiler.emitNode(branch, c)
    scope.emit('}')
    keyword = 'else if'
  })
  flush()
  scope.emit(`else return ${failure}`)
}

/**
 * A branch as a condition that converts nothing: one expression, or a call of a check function
 * whose error is kept for the message. Computing it again there would be exponential in the
 * depth of a recursive union.
 */
function branchTest(compiler: Compiler, branch: JsonSchema, value: string, scope: Scope): { test: Test, error?: string } {
  const simple = compiler.conditions.simpleOf(branch, value)
  if (simple !== undefined)
    return { test: simple }
  const error = scope.local('e')
  const call = `(${error} = ${branchCall(compiler, branch, value, scope.depth)})`
  return { test: atom(`${call} === undefined`, `${call} !== undefined`), error }
}

function branchCall(compiler: Compiler, branch: JsonSchema, value: string, depth: string): string {
  const { hoisted } = compiler
  const deeper = depth === '0' ? '1' : `${depth} + 1`
  if (isBareRef(branch))
    return `${defFunction(compiler, compiler.defs.nameOf(branch.$ref), false)}(${value}, ${deeper})`
  let fn = hoisted.names.get(branch)
  if (!fn) {
    fn = hoisted.name('b')
    hoisted.names.set(branch, fn)
    const scope = new Scope('d')
    compiler.emitNode(branch, { scope, value: 'v', slot: undefined, path: [], convert: false })
    hoisted.functions.push(`function ${fn}(v, d) {\n${scope.body()}\n}`)
  }
  return `${fn}(${value}, ${depth})`
}

/**
 * The message of a union no branch accepted: when exactly one of the branches that are more
 * than one condition is plausible (its type matches, its discriminating constants match), that
 * branch's own error, which points inside the value; otherwise `expected A | B`.
 */
function unionFailure(compiler: Compiler, branches: JsonSchema[], errors: (string | undefined)[], c: Ctx): string {
  const { hoisted } = compiler
  const generic = `expected ${describeUnion(compiler, branches)}`
  const candidates = branches.map((branch, i) => ({ branch, error: errors[i] })).filter(b => b.error !== undefined)
  if (candidates.length === 0)
    return message(c.path, generic)
  const key = `u:${hoisted.idOf(branches)}:${errors.map(e => (e ? 1 : 0)).join('')}`
  let fn = hoisted.names.get(key)
  if (!fn) {
    fn = hoisted.name('u')
    hoisted.names.set(key, fn)
    const lines = ['var n = 0, e']
    candidates.forEach(({ branch }, i) => {
      const plausible = gate(compiler, branch, 'v', new Set())
      if (plausible !== false)
        lines.push(`if (${render(plausible)}) n++, e = e${i + 1}`)
    })
    lines.push(`return n === 1 ? e : ${JSON.stringify(`: ${generic}`)}`)
    hoisted.functions.push(`function ${fn}(v, ${candidates.map((_, i) => `e${i + 1}`).join(', ')}) {\n${lines.join('\n')}\n}`)
  }
  return prefixed(c.path, `${fn}(${c.value}, ${candidates.map(b => b.error).join(', ')})`)
}
