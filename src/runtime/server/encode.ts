import { encodeRich, RICH_TYPE } from '../shared/codec'
import { WireError } from './outcome'

/** A value as an answer's body: in the rich encoding, or JSON. Throws what cannot be encoded. */
export function encodeValue(value: unknown, rich: boolean): string {
  return rich ? encodeRich(value) : toJson(value)
}

/**
 * JSON as `JSON.stringify` makes it, for error bodies: a BigInt, which it refuses, becomes its
 * decimal string. Error bodies are documented as open objects, so nothing in them can break a promise.
 */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null'
  }
  catch (error) {
    if (!(error instanceof TypeError) || !String(error.message).includes('BigInt'))
      throw error
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'
  }
}

/**
 * A function's result (or one yielded value) in the plain JSON form `openapi.json` documents
 * (docs/reference/wire-protocol.md#plain-json-forms): a Map as its entries, a Set as its items,
 * a bigint as its decimal string, a Date as its ISO string, `undefined` as `null` at the top and
 * in arrays and left out of objects. What JSON cannot hold (NaN, ±Infinity, an invalid Date, a
 * function, a symbol) throws a 406 NOT_ACCEPTABLE instead of becoming a `null` the schema does
 * not allow: the value exists, only not in the encoding the caller accepts.
 *
 * `plain` is decided at build time from the result's schema (core/schema/json-answer.ts): no
 * Map, Set or open part anywhere in it. Then `JSON.stringify` alone already writes the
 * documented form, except where it wrote a `null` (NaN, ±Infinity and invalid Dates become
 * one): only an answer with `null` in its text is looked through (`holdsNonJson`, which builds
 * nothing), and only one that holds a bigint or what JSON cannot hold is walked with the replacer.
 * A plain object answer therefore costs one `JSON.stringify` and one substring search.
 */
export function resultJson(value: unknown, plain = false): string {
  if (plain) {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    }
    catch (error) {
      if (!(error instanceof TypeError) || !String(error.message).includes('BigInt'))
        throw error
    }
    if (text !== undefined && (!text.includes('null') || !holdsNonJson(value)))
      return text
  }
  return walkedJson(value)
}

/**
 * Whether a value `JSON.stringify` took holds what it silently wrote as `null`: a number JSON
 * cannot hold or an invalid Date. It reads and builds nothing else, so a result with a real
 * `null` in it costs a fraction of a second `JSON.stringify`. An object with its own `toJSON`
 * is not looked into: the walk asks it.
 */
function holdsNonJson(value: unknown): boolean {
  if (typeof value === 'number')
    return !Number.isFinite(value)
  if (value === null || typeof value !== 'object')
    return false
  if (value instanceof Date)
    return Number.isNaN(value.getTime())
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (typeof item === 'function' || typeof item === 'symbol' || holdsNonJson(item))
        return true
    }
    return false
  }
  for (const key in value) {
    if (holdsNonJson((value as Record<string, unknown>)[key]))
      return true
  }
  return false
}

function walkedJson(value: unknown): string {
  if (value === undefined)
    return 'null'
  const text = JSON.stringify(value, jsonForm)
  if (text === undefined)
    throw notJson(value, '')
  return text
}

/** The replacer: `this` holds `key`, `value` is what `toJSON` made of it (a Date's ISO string, or null when invalid). */
function jsonForm(this: unknown, key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value))
        throw notJson(value, key)
      return value
    case 'bigint':
      return value.toString()
    case 'object':
      if (value === null) {
        if (key !== '' && (this as Record<string, unknown>)[key] instanceof Date)
          throw notJson((this as Record<string, unknown>)[key], key)
        return value
      }
      if (value instanceof Map || value instanceof Set)
        return Array.from(value)
      return value
    case 'function':
    case 'symbol':
      // Left out of objects by JSON.stringify; in an array it would be a null that says nothing.
      if (Array.isArray(this) || key === '')
        throw notJson(value, key)
      return undefined
    default:
      return value
  }
}

function notJson(value: unknown, key: string): WireError {
  const what = value instanceof Date ? 'an invalid Date' : typeof value === 'number' ? String(value) : `a ${typeof value}`
  const where = key === '' ? 'the result' : `the value at '${key}'`
  return new WireError('NOT_ACCEPTABLE', `the result has no JSON form: ${where} is ${what}, which JSON cannot hold (the function ran); ask for ${RICH_TYPE} in accept, which carries it, as the stubs do`)
}
