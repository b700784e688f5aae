import type { JsonSchema } from '../types'
import type { Compiler, Ctx } from './context'
import type { PathPart } from './messages'
import type { SchemaObject } from './schema-queries'
import type { Scope } from './scope'
import { MAX_ITEMS } from './limits'
import { message } from './messages'
import { acceptsAnything, ARRAY_KEYWORDS, isSchemaObject, isValidationKeyword } from './schema-queries'

/** Arrays and tuples. `offset` > 0 checks the tail of `c.value` from there: how a rest parameter is checked in place. */
export function emitArray(compiler: Compiler, schema: SchemaObject, c: Ctx, offset: number): void {
  const { scope, value: array } = c
  const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems as JsonSchema[] : []
  const items = schema.items as JsonSchema | undefined
  const min = typeof schema.minItems === 'number' ? schema.minItems : 0
  let max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity
  if (items === false)
    max = Math.min(max, prefix.length)
  if (max !== Infinity)
    scope.emit(`if (${array}.length > ${offset + max}) return ${message(c.path, `expected at most ${max} item${max === 1 ? '' : 's'}`)}`)
  if (min > 0)
    scope.emit(`if (${array}.length < ${offset + min}) return ${message(c.path, `expected at least ${min} item${min === 1 ? '' : 's'}`)}`)
  prefix.forEach((item, index) => {
    const at = offset + index
    // Past minItems an element may be absent, and an `undefined` one counts as absent.
    compiler.emitValue(item, { ...c, value: `${array}[${at}]`, slot: c.convert ? { owner: array, key: String(at) } : undefined, path: [...c.path, `[${index}]`] }, index < min ? 'any' : 'optional')
  })
  if (items !== undefined && items !== false)
    emitItems(compiler, items, c, array, offset, prefix.length)
}

/** Every element of `array` from `offset + from` on; paths count from `offset`. */
export function emitItems(compiler: Compiler, items: JsonSchema, c: Ctx, array: string, offset: number, from: number): void {
  if (acceptsAnything(items))
    return
  const { scope } = c
  const index = scope.local('i')
  // The rich encoding can declare a sparse array of 2³²−1 holes in a few bytes: no loop over that.
  scope.emit(`if (${array}.length > ${MAX_ITEMS}) return ${message(c.path, `expected at most ${MAX_ITEMS} items`)}`)
  scope.emit(`for (var ${index} = ${offset + from}; ${index} < ${array}.length; ${index}++) {`)
  const shown = offset ? `(${index} - ${offset})` : index
  compiler.emitValue(items, { ...c, value: `${array}[${index}]`, slot: c.convert ? { owner: array, key: index } : undefined, path: [...c.path, '[', { js: shown }, ']'] }, 'any')
  scope.emit('}')
}

/**
 * A rest parameter's schema describes the array of the remaining arguments: checked in place in
 * `args`, so conversions land where the function reads them. A schema that is not a plain array
 * schema is checked on a copy, whose converted items are copied back.
 */
export function emitRest(compiler: Compiler, schema: JsonSchema, index: number, path: PathPart[], scope: Scope): void {
  const resolved = compiler.defs.resolveRoot(schema)
  if (acceptsAnything(resolved))
    return
  if (isSchemaObject(resolved) && resolved.type === 'array' && Object.keys(resolved).every(k => k === 'type' || ARRAY_KEYWORDS.includes(k) || !isValidationKeyword(k))) {
    emitArray(compiler, resolved, { scope, value: 'args', slot: undefined, path, convert: true }, index)
    return
  }
  const holder = scope.local('h')
  const rest = scope.local('v')
  scope.emit(`var ${holder} = [args.slice(${index})], ${rest} = ${holder}[0]`)
  compiler.emitNode(schema, { scope, value: rest, slot: { owner: holder, key: '0' }, path, convert: true })
  if (compiler.defs.mayConvert(schema)) {
    const i = scope.local('i')
    scope.emit(`${rest} = ${holder}[0]`)
    scope.emit(`if (Array.isArray(${rest})) for (var ${i} = 0; ${i} < ${rest}.length; ${i}++) args[${index} + ${i}] = ${rest}[${i}]`)
  }
}
