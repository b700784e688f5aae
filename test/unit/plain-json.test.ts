import type { JsonSchema } from '../../src/core/schema/types'
import { describe, expect, it } from 'vitest'
import { isPlainJsonResult } from '../../src/core/schema/json-answer'
import { decodeJsonBody } from '../../src/runtime/server/decode'
import { resultJson } from '../../src/runtime/server/encode'

// A plain JSON answer is the form openapi.json documents for the result's type (the table in
// docs/reference/wire-protocol.md#plain-json-forms), or an honest error, never a silent null.

describe('resultJson', () => {
  for (const plain of [false, true]) {
    describe(plain ? 'checked (a plain result schema)' : 'walked', () => {
      it('writes a Map as its entries, a Set as its items, a bigint as its digits, a Date as its ISO string', () => {
        if (plain)
          return // a plain schema has no Map or Set: that is what lets it skip the walk
        const value = { tags: new Set(['a', 'b']), prices: new Map([['mug', 3n]]), at: new Date('2026-11-22T10:00:00.000Z'), nested: [new Set([1])] }
        expect(JSON.parse(resultJson(value, plain))).toEqual({ tags: ['a', 'b'], prices: [['mug', '3']], at: '2026-11-22T10:00:00.000Z', nested: [[1]] })
      })

      it('writes bigints and dates inside plain values', () => {
        expect(resultJson({ n: 12345678901234567890n, at: new Date(0) }, plain)).toBe('{"n":"12345678901234567890","at":"1970-01-01T00:00:00.000Z"}')
        expect(resultJson(5n, plain)).toBe('"5"')
      })

      it('writes undefined as null at the top and in arrays, and leaves it out of objects', () => {
        expect(resultJson(undefined, plain)).toBe('null')
        expect(resultJson([1, undefined, 3], plain)).toBe('[1,null,3]')
        expect(resultJson({ a: 1, missing: undefined }, plain)).toBe('{"a":1}')
        expect(resultJson({ note: null }, plain)).toBe('{"note":null}')
      })

      it('writes -0 as 0', () => {
        expect(resultJson({ x: -0 }, plain)).toBe('{"x":0}')
      })

      it.each([
        ['NaN', { nan: Number.NaN }, /the value at 'nan' is NaN, which JSON cannot hold/],
        ['Infinity in an array', [1, Infinity], /the value at '1' is Infinity/],
        ['-Infinity at the top', -Infinity, /the result is -Infinity/],
        ['an invalid Date', { at: new Date(Number.NaN) }, /the value at 'at' is an invalid Date/],
        ['a function in an array', [() => 1], /is a function/],
      ])('refuses %s rather than writing a null the schema does not allow', (_, value, message) => {
        expect(() => resultJson(value, plain)).toThrow(message)
        try {
          resultJson(value, plain)
        }
        catch (error) {
          expect((error as { code: string }).code).toBe('NOT_ACCEPTABLE')
        }
      })

      it('leaves plain values as JSON.stringify writes them', () => {
        const value = { sku: 'mug', qty: 2, lines: [{ a: 'null' }], ok: true, nothing: null }
        expect(resultJson(value, plain)).toBe(JSON.stringify(value))
      })
    })
  }
})

describe('isPlainJsonResult', () => {
  const defs: Record<string, JsonSchema> = {
    Line: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'number' } }, required: ['sku', 'qty'], additionalProperties: false },
    Tree: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Tree' } } }, additionalProperties: false },
    Tagged: { type: 'object', properties: { tags: { 'type': 'array', 'items': { type: 'string' }, 'x-femto-type': 'Set' } }, additionalProperties: false },
  }
  const plain = (schema: JsonSchema): boolean => isPlainJsonResult(schema, ref => defs[ref.slice('#/$defs/'.length)])

  it('is plain for primitives, closed objects, arrays of them, Dates, bigints and recursive types', () => {
    expect(plain({ type: 'number' })).toBe(true)
    expect(plain({ type: ['string', 'null'] })).toBe(true)
    expect(plain({ type: 'array', items: { $ref: '#/$defs/Line' } })).toBe(true)
    expect(plain({ $ref: '#/$defs/Tree' })).toBe(true)
    expect(plain({ 'type': 'string', 'x-femto-type': 'Date' })).toBe(true)
    expect(plain({ 'x-femto-type': 'undefined' })).toBe(true)
    expect(plain({ type: 'object', additionalProperties: { type: 'number' } })).toBe(true)
  })

  it('walks where a Map or a Set can be, and where the schema is open', () => {
    expect(plain({ $ref: '#/$defs/Tagged' })).toBe(false)
    expect(plain({ anyOf: [{ type: 'null' }, { 'type': 'array', 'items': true, 'x-femto-type': 'Map' }] })).toBe(false)
    expect(plain({})).toBe(false)
    expect(plain(true)).toBe(false)
    expect(plain({ type: 'object' })).toBe(false)
    expect(plain({ type: 'array' })).toBe(false)
    expect(plain({ type: 'object', properties: { x: {} }, additionalProperties: false })).toBe(false)
    expect(plain({ $ref: '#/$defs/Missing' })).toBe(false)
  })
})

describe('decodeJsonBody', () => {
  it('refuses a number too large for a double, which JSON.parse would make Infinity', () => {
    for (const raw of ['[1e309]', '{"a":-1e400,"b":1}', '[ 2.5E+999]', '1e309', `[${'9'.repeat(400)}]`])
      expect(() => decodeJsonBody(raw, 'application/json'), raw).toThrow(/is too large for a double/)
    expect(decodeJsonBody('[1e308, 4.9e-324, "1e999", 123]', 'application/json')).toEqual([1e308, 4.9e-324, '1e999', 123])
  })
})
