import type { Compiler, Ctx } from './context'
import { slotOf } from './context'
import { MAX_DEPTH } from './limits'
import { prefixed } from './messages'
import { Scope } from './scope'

/** A `$ref`: inline when the named type is one condition, else a call of its function. */
export function emitRef(compiler: Compiler, ref: string, c: Ctx): void {
  const { defs } = compiler
  const name = defs.nameOf(ref)
  const def = defs.get(name)
  const { scope } = c
  const converting = c.convert && defs.mayConvert(def)
  if (!converting) {
    const test = compiler.conditions.simpleOf(def, c.value)
    if (test !== undefined) {
      compiler.emitSimple(def, test, c, 'any')
      return
    }
  }
  scope.usesError = true
  const call = converting
    ? `${defFunction(compiler, name, true)}(${c.value}, ${c.slot!.owner}, ${c.slot!.key}, ${scope.deeper()})`
    : `${defFunction(compiler, name, false)}(${c.value}, ${scope.deeper()})`
  scope.emit(`if ((e = ${call}) !== undefined) return ${prefixed(c.path, 'e')}`)
  if (converting && defs.mayConvertRoot(def))
    scope.emit(`${c.value} = ${slotOf(c.slot!)}`)
}

/**
 * Each named type is a function, so recursive types work; it returns errors relative to its
 * value. Two per type at most: one that converts (`v, o, k, d`: it writes `o[k]`), one that only checks.
 */
export function defFunction(compiler: Compiler, name: string, convert: boolean): string {
  const { hoisted } = compiler
  const key = `${convert ? 'x' : 'c'}:${name}`
  const known = hoisted.names.get(key)
  if (known)
    return known
  const fn = hoisted.name(convert ? 'x' : 'c')
  hoisted.names.set(key, fn)
  const scope = new Scope('d')
  if (compiler.defs.isRecursive(name)) {
    hoisted.budgeted = true
    scope.emit(`if (d > ${MAX_DEPTH}) return ": too deeply nested"`)
    scope.emit('if (--budget < 0) return ": too many nested values"')
  }
  compiler.emitNode(compiler.defs.get(name), { scope, value: 'v', slot: convert ? { owner: 'o', key: 'k' } : undefined, path: [], convert })
  hoisted.functions.push(`function ${fn}(${convert ? 'v, o, k, d' : 'v, d'}) {\n${scope.body()}\n}`)
  return fn
}
