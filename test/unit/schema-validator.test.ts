import type { JsonSchema, ParamSchema } from '../../src/core/schema/types'
import { describe, expect, it } from 'vitest'
import { compileValidator } from '../../src/core/schema/validator'

type Validate = (args: unknown[]) => string | undefined

function param(name: string, schema: JsonSchema, more: Partial<ParamSchema> = {}): ParamSchema {
  return { name, optional: false, rest: false, schema, ...more }
}

function compile(params: ParamSchema[], defs: Record<string, JsonSchema> = {}): Validate {
  const code = compileValidator({ params, result: true, defs, warnings: [] })
  // eslint-disable-next-line no-new-func
  return new Function(`return ${code}`)() as Validate
}

/** A validator of one parameter `x`. */
function one(schema: JsonSchema, defs: Record<string, JsonSchema> = {}): (value: unknown) => string | undefined {
  const validate = compile([param('x', schema)], defs)
  return value => validate([value])
}

const date = { 'type': 'string', 'format': 'date-time', 'x-femto-type': 'Date' }
const bigint = { 'type': 'string', 'pattern': '^-?[0-9]+$', 'x-femto-type': 'bigint' }
const url = { 'type': 'string', 'format': 'uri', 'x-femto-type': 'URL' }
const undef = { 'x-femto-type': 'undefined' }
function mapOf(key: JsonSchema, value: JsonSchema): JsonSchema {
  return { 'type': 'array', 'items': { type: 'array', prefixItems: [key, value], minItems: 2, maxItems: 2 }, 'x-femto-type': 'Map' }
}
function setOf(item: JsonSchema): JsonSchema {
  return { 'type': 'array', 'items': item, 'uniqueItems': true, 'x-femto-type': 'Set' }
}
function object(properties: Record<string, JsonSchema>, required = Object.keys(properties), more: Record<string, unknown> = {}): JsonSchema {
  return { type: 'object', properties, required, additionalProperties: false, ...more }
}

describe('compileValidator', () => {
  it('compiles (a: number, b: number) to two conditions', () => {
    const code = compileValidator({ params: [param('a', { type: 'number' }), param('b', { type: 'number' })], result: { type: 'number' }, defs: {}, warnings: [] })
    expect(code).toMatchInlineSnapshot(`
      "(function (args) {
      if (typeof args[0] !== "number") return "$.a: expected number"
      if (typeof args[1] !== "number") return "$.b: expected number"
      })"
    `)
    const validate = compile([param('a', { type: 'number' }), param('b', { type: 'number' })])
    expect(validate([1, 2])).toBeUndefined()
    expect(validate([Number.NaN, -Infinity])).toBeUndefined()
    expect(validate([1, '2'])).toBe('$.b: expected number')
    expect(validate(['1', '2'])).toBe('$.a: expected number')
  })

  it('compiles a function without parameters', () => {
    expect(compile([])([])).toBeUndefined()
  })

  describe('types', () => {
    it.each([
      ['string', 'a', 1],
      ['number', 1.5, '1'],
      ['integer', -3, 1.5],
      ['boolean', false, 0],
      ['null', null, undefined],
      ['array', [], {}],
    ])('%s', (type, good, bad) => {
      expect(one({ type })(good)).toBeUndefined()
      expect(one({ type })(bad)).toBe(`$.x: expected ${type}`)
    })

    it('integer rejects NaN and Infinity, number accepts them', () => {
      expect(one({ type: 'integer' })(Number.NaN)).toBe('$.x: expected integer')
      expect(one({ type: 'integer' })(Infinity)).toBe('$.x: expected integer')
      expect(one({ type: 'number' })(Infinity)).toBeUndefined()
    })

    it('object is a plain object only', () => {
      const check = one({ type: 'object' })
      expect(check({})).toBeUndefined()
      expect(check(Object.create(null))).toBeUndefined()
      expect(check(JSON.parse('{"constructor": 1}'))).toBeUndefined()
      for (const bad of [null, [], new Date(), new Map(), new Set(), new URL('http://x'), /x/, new Uint8Array(1), 'a', 1, undefined])
        expect(check(bad)).toBe('$.x: expected object')
    })

    it('type arrays accept any of the types', () => {
      const check = one({ type: ['string', 'null'] })
      expect(check('a')).toBeUndefined()
      expect(check(null)).toBeUndefined()
      expect(check(1)).toBe('$.x: expected string | null')
    })

    it('true and {} accept anything, false nothing', () => {
      expect(one(true)(undefined)).toBeUndefined()
      expect(one({ description: 'any' })(Symbol('s'))).toBeUndefined()
      expect(one(false)(1)).toBe('$.x: unexpected value')
    })

    it('refuses to compile an unknown type', () => {
      expect(() => one({ type: 'float' })).toThrow(/unknown type "float"/)
    })
  })

  describe('enum and const', () => {
    it('names the allowed values', () => {
      const check = one({ type: 'string', enum: ['a', 'b'] })
      expect(check('b')).toBeUndefined()
      expect(check('c')).toBe('$.x: expected "a" | "b"')
      expect(one({ const: 42 })(41)).toBe('$.x: expected 42')
      expect(one({ enum: [1, 'a', null, true] })(null)).toBeUndefined()
      expect(one({ enum: [1, 'a', null, true] })(false)).toBe('$.x: expected 1 | "a" | null | true')
    })

    it('looks up long enums in a set', () => {
      const values = Array.from({ length: 20 }, (_, i) => `v${i}`)
      const code = compileValidator({ params: [param('x', { enum: values })], result: true, defs: {}, warnings: [] })
      expect(code).toContain('new Set(')
      const check = one({ enum: values })
      expect(check('v19')).toBeUndefined()
      expect(check('v20')).toMatch(/^\$\.x: expected "v0" \| "v1" \| /)
    })

    it('compares object and array constants deeply', () => {
      const check = one({ const: { a: [1, { b: null }] } })
      expect(check({ a: [1, { b: null }] })).toBeUndefined()
      expect(check({ a: [1, { b: 0 }] })).toBe('$.x: expected {"a":[1,{"b":null}]}')
      expect(one({ const: { __proto__x: 1 } })({ __proto__x: 1 })).toBeUndefined()
    })
  })

  describe('objects', () => {
    const user = object({ name: { type: 'string' }, age: { type: 'integer' }, nick: { type: 'string' } }, ['name', 'age'])

    it('checks each property with its path', () => {
      const check = one(user)
      expect(check({ name: 'Ann', age: 3 })).toBeUndefined()
      expect(check({ name: 'Ann', age: 3, nick: 'A' })).toBeUndefined()
      expect(check({ name: 1, age: 3 })).toBe('$.x.name: expected string')
      expect(check({ name: 'Ann', age: 3, nick: 2 })).toBe('$.x.nick: expected string')
      expect(check({ age: 3 })).toBe('$.x.name: required')
    })

    it('counts a property whose value is undefined as absent', () => {
      const check = one(user)
      expect(check({ name: undefined, age: 3 })).toBe('$.x.name: required')
      expect(check({ name: 'Ann', age: 3, nick: undefined })).toBeUndefined()
      expect(check({ name: 'Ann', age: 3, other: undefined })).toBeUndefined()
    })

    it('rejects excess properties when additionalProperties is false', () => {
      expect(one(user)({ name: 'Ann', age: 3, role: 'admin' })).toBe('$.x.role: unexpected property')
      expect(one(user)({ 'name': 'Ann', 'age': 3, 'a-b': 1 })).toBe('$.x["a-b"]: unexpected property')
      expect(one({ type: 'object', properties: { a: { type: 'string' } } })({ a: 'x', b: 1 })).toBeUndefined()
    })

    it('checks excess properties against an additionalProperties schema', () => {
      const check = one({ type: 'object', additionalProperties: { type: 'number' } })
      expect(check({ 'a': 1, 'a-b': 2 })).toBeUndefined()
      expect(check({ 'a': 1, 'a-b': '2' })).toBe('$.x["a-b"]: expected number')
      expect(check({ 'a b': {} })).toBe('$.x["a b"]: expected number')
    })

    it('uses the bracket form for names that are not identifiers', () => {
      const check = one(object({ 'a-b': object({ 'c"d': { type: 'number' }, '0': { type: 'number' } }) }))
      expect(check({ 'a-b': { 'c"d': 1, '0': 2 } })).toBeUndefined()
      expect(check({ 'a-b': { 'c"d': 'no', '0': 2 } })).toBe('$.x["a-b"]["c\\"d"]: expected number')
      expect(check({ 'a-b': { 'c"d': 1 } })).toBe('$.x["a-b"]["0"]: required')
    })

    it('checks property names against an enum, but not against a pattern (a caller could make it backtrack)', () => {
      const byPattern = one({ type: 'object', propertyNames: { pattern: '^.*-.*-.*$' }, additionalProperties: { type: 'number' } })
      expect(byPattern({ abc: 1, Abc: 2 })).toBeUndefined()
      expect(byPattern({ [`${'-'.repeat(100_000)}\n`]: 1 })).toBeUndefined()
      expect(byPattern({ abc: 1, __proto__x: 2, ...JSON.parse('{"__proto__": 3}') })).toBe('$.x.__proto__: unexpected property')
      const byEnum = one({ type: 'object', propertyNames: { enum: ['a', 'b'] } })
      expect(byEnum({ a: 1, b: 2 })).toBeUndefined()
      expect(byEnum({ a: 1, c: 2 })).toBe('$.x.c: unexpected property')
    })

    it('only applies object keywords to objects when the type allows others', () => {
      const check = one({ type: ['object', 'null'], properties: { a: { type: 'string' } }, required: ['a'] })
      expect(check(null)).toBeUndefined()
      expect(check({})).toBe('$.x.a: required')
    })

    it('treats __proto__ and constructor as ordinary own keys', () => {
      const check = one(object({ constructor: { type: 'string' }, toString: { type: 'number' } }, ['constructor']))
      expect(check({})).toBe('$.x.constructor: required')
      expect(check({ constructor: 'c' })).toBeUndefined()
      expect(check(JSON.parse('{"constructor": "c", "toString": "no"}'))).toBe('$.x.toString: expected number')
      const proto = one(object(JSON.parse('{"__proto__": {"type": "number"}}')))
      expect(proto({})).toBe('$.x.__proto__: required')
      expect(proto(JSON.parse('{"__proto__": 5}'))).toBeUndefined()
      expect(proto(JSON.parse('{"__proto__": "5"}'))).toBe('$.x.__proto__: expected number')
      expect(one(object({ a: { type: 'number' } }))(JSON.parse('{"a": 1, "__proto__": {"polluted": true}}'))).toBe('$.x.__proto__: unexpected property')
      expect(one(object({ a: { type: 'number' } }))(JSON.parse('{"a": 1, "constructor": 1}'))).toBe('$.x.constructor: unexpected property')
    })
  })

  describe('arrays', () => {
    it('checks items with their index', () => {
      const check = one({ type: 'array', items: { type: 'number' } })
      // A sparse array declared in a few bytes is refused, not looped over.
      expect(check(Object.assign([], { length: 2 ** 32 - 1 }))).toBe('$.x: expected at most 1000000 items')
      expect(check([1, 2])).toBeUndefined()
      expect(check([1, '2'])).toBe('$.x[1]: expected number')
      expect(check({ length: 0 })).toBe('$.x: expected array')
    })

    it('checks tuples: prefixItems, items false, minItems and maxItems', () => {
      const check = one({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], items: false, minItems: 2 })
      expect(check(['a', 1])).toBeUndefined()
      expect(check(['a', 1, undefined])).toBeUndefined()
      expect(check(['a', 1, true])).toBeUndefined()
      expect(check(['a', 1, 'no'])).toBe('$.x[2]: expected boolean')
      expect(check([1, 1])).toBe('$.x[0]: expected string')
      expect(check(['a'])).toBe('$.x: expected at least 2 items')
      expect(check(['a', 1, true, 4])).toBe('$.x: expected at most 3 items')
      expect(one({ type: 'array', maxItems: 1 })([1, 2])).toBe('$.x: expected at most 1 item')
    })

    it('checks the items after prefixItems against items', () => {
      const check = one({ type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'number' } })
      expect(check(['a', 1, 2])).toBeUndefined()
      expect(check(['a', 1, 'b'])).toBe('$.x[2]: expected number')
    })
  })

  describe('unions', () => {
    it('describes the branches when none matches', () => {
      expect(one({ anyOf: [{ type: 'string' }, { type: 'number' }] })(true)).toBe('$.x: expected string | number')
      expect(one({ anyOf: [{ const: 'a' }, { const: 'b' }, { type: 'null' }] })('c')).toBe('$.x: expected "a" | "b" | null')
      expect(one({ oneOf: [{ type: 'string' }, object({ a: { type: 'number' } })] })(1)).toBe('$.x: expected string | object')
      expect(one({ anyOf: [{ type: 'string' }, undef] })(null)).toBe('$.x: expected string | undefined')
      expect(one({ anyOf: [{ type: 'string' }, undef] })(undefined)).toBeUndefined()
    })

    it('reports the error inside the one branch the value was meant for', () => {
      const check = one({ anyOf: [object({ a: { type: 'number' } }), { type: 'null' }] })
      expect(check(null)).toBeUndefined()
      expect(check({ a: 'no' })).toBe('$.x.a: expected number')
      expect(check('no')).toBe('$.x: expected object | null')
    })

    it('tells the branches of a discriminated union apart', () => {
      const circle = object({ kind: { const: 'circle' }, r: { type: 'number' } })
      const square = object({ kind: { const: 'square' }, side: { type: 'number' } })
      const check = one({ anyOf: [circle, square] })
      expect(check({ kind: 'square', side: 2 })).toBeUndefined()
      expect(check({ kind: 'square', side: '2' })).toBe('$.x.side: expected number')
      expect(check({ kind: 'circle', side: 2 })).toBe('$.x.r: required')
      expect(check({ kind: 'oval' })).toBe('$.x: expected { kind: "circle" } | { kind: "square" }')
    })

    it('checks every part of allOf', () => {
      const check = one({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { type: 'object', properties: { b: { type: 'number' } }, required: ['b'] }] })
      expect(check({ a: 'x', b: 1 })).toBeUndefined()
      expect(check({ a: 'x' })).toBe('$.x.b: required')
      expect(check({ b: 1 })).toBe('$.x.a: required')
    })
  })

  describe('$ref', () => {
    const defs: Record<string, JsonSchema> = {
      Tree: object({ value: { type: 'number' }, children: { type: 'array', items: { $ref: '#/$defs/Tree' } } }),
      List: object({ value: { type: 'number' }, next: { anyOf: [{ $ref: '#/$defs/List' }, { type: 'null' }] } }),
      Status: { enum: ['on', 'off'] },
    }

    it('checks recursive types', () => {
      const check = one({ $ref: '#/$defs/Tree' }, defs)
      expect(check({ value: 1, children: [{ value: 2, children: [] }] })).toBeUndefined()
      expect(check({ value: 1, children: [{ value: 2, children: [{ value: '3', children: [] }] }] })).toBe('$.x.children[0].children[0].value: expected number')
      expect(check({ value: 1, children: [{ value: 2 }] })).toBe('$.x.children[0].children: required')
    })

    it('inlines named types that are one condition, and names the others in unions', () => {
      expect(one({ $ref: '#/$defs/Status' }, defs)('dim')).toBe('$.x: expected "on" | "off"')
      expect(one({ anyOf: [{ $ref: '#/$defs/List' }, { type: 'string' }] }, defs)(1)).toBe('$.x: expected List | string')
    })

    it('stops at a depth of 100 named types with an error, not a stack overflow', () => {
      const check = one({ $ref: '#/$defs/List' }, defs)
      const list = (length: number): unknown => Array.from({ length }).reduce<unknown>(next => ({ value: 1, next }), null)
      expect(check(list(100))).toBeUndefined()
      const error = check(list(101))
      expect(error).toBe(`$.x${'.next'.repeat(100)}: too deeply nested`)
      const cyclic: any = { value: 1, next: null }
      cyclic.next = cyclic
      expect(check(cyclic)).toMatch(/^\$\.x(\.next)+: too deeply nested$/)
      expect(check(list(1_000_000))).toMatch(/too deeply nested$/)
    })

    it('bounds the work of a union whose overlapping branches each recurse', () => {
      const next = { anyOf: [{ $ref: '#/$defs/T' }, { type: 'null' }] }
      const overlapping = { T: { anyOf: [object({ next, tag: { type: 'number' } }, ['next']), object({ next, tag: { type: 'string' } }, ['next'])] } }
      const check = one({ $ref: '#/$defs/T' }, overlapping)
      const nest = (depth: number, tag: unknown): unknown => Array.from({ length: depth }).reduce<unknown>(inner => ({ next: inner }), { next: null, tag })
      expect(check(nest(60, 1))).toBeUndefined()
      expect(check(nest(60, 'a'))).toBeUndefined()
      // 2^60 ways to try: stopped after a million calls.
      expect(check(nest(60, true))).toBe('$: too many nested values')
      expect(check(nest(5, true))).toBe('$.x: expected object')
    })

    it('refuses to compile a reference to an unknown type', () => {
      expect(() => one({ $ref: '#/$defs/Missing' }, defs)).toThrow(/\$ref "#\/\$defs\/Missing"/)
    })
  })

  describe('x-femto-type', () => {
    it('accepts a Date, and converts an ISO string in place', () => {
      const validate = compile([param('at', date)])
      const now = new Date()
      const args: unknown[] = [now]
      expect(validate(args)).toBeUndefined()
      expect(args[0]).toBe(now)
      args[0] = '2024-02-29T10:00:00.000Z'
      expect(validate(args)).toBeUndefined()
      expect(args[0]).toBeInstanceOf(Date)
      expect((args[0] as Date).toISOString()).toBe('2024-02-29T10:00:00.000Z')
      args[0] = '2024-02-29'
      expect(validate(args)).toBeUndefined()
      expect((args[0] as Date).getTime()).toBe(Date.UTC(2024, 1, 29))
      for (const bad of ['2023-02-29T10:00:00Z', '2024-13-01T00:00:00Z', 'yesterday', '2024-01-01T10:00:00', 1700000000000, null, new Date(Number.NaN)])
        expect(validate([bad])).toBe('$.at: expected Date')
    })

    it('accepts a bigint, and converts digits or a safe integer', () => {
      const check = compile([param('n', bigint)])
      for (const [given, converted] of [[5n, 5n], ['123456789012345678901234567890', 123456789012345678901234567890n], ['-7', -7n], [42, 42n]] as const) {
        const args: unknown[] = [given]
        expect(check(args)).toBeUndefined()
        expect(args[0]).toBe(converted)
      }
      for (const bad of ['1.5', '1e3', '', ' 1', 1.5, 2 ** 60, true, '9'.repeat(4097)])
        expect(check([bad])).toBe('$.n: expected bigint')
    })

    it('accepts a URL, and converts a string new URL() accepts', () => {
      const check = compile([param('u', url)])
      const args: unknown[] = ['https://example.com/a?b=1']
      expect(check(args)).toBeUndefined()
      expect(args[0]).toBeInstanceOf(URL)
      expect((args[0] as URL).searchParams.get('b')).toBe('1')
      expect(check(['not a url'])).toBe('$.u: expected URL')
    })

    it('accepts a Map, checking its entries, and converts a list of entries', () => {
      const check = compile([param('m', mapOf({ type: 'string' }, date))])
      // Its values could need converting, so a real Map is rebuilt: equal, not the same.
      const real = new Map([['a', new Date()]])
      const args: unknown[] = [real]
      expect(check(args)).toBeUndefined()
      expect(args[0]).toEqual(real)
      expect(check([new Map<unknown, unknown>([['a', new Date()], [2, new Date()]])])).toBe('$.m[1][0]: expected string')
      const plain = new Map([['a', 1]])
      const same: unknown[] = [plain]
      expect(compile([param('m', mapOf({ type: 'string' }, { type: 'number' }))])(same)).toBeUndefined()
      expect(same[0]).toBe(plain)
      const json: unknown[] = [[['a', '2024-01-01T00:00:00Z'], ['b', new Date(0)]]]
      expect(check(json)).toBeUndefined()
      expect(json[0]).toBeInstanceOf(Map)
      expect((json[0] as Map<string, Date>).get('a')).toEqual(new Date('2024-01-01T00:00:00Z'))
      expect(check([[['a', 'soon']]])).toBe('$.m[0][1]: expected Date')
      expect(check([[['a']]])).toBe('$.m[0]: expected at least 2 items')
      expect(check([['ab']])).toBe('$.m[0]: expected array')
      expect(check([{}])).toBe('$.m: expected Map')
    })

    it('converts the values of a real Map that need it, keeping its order', () => {
      const check = compile([param('m', mapOf({ type: 'string' }, date))])
      const args: unknown[] = [new Map<string, unknown>([['b', '2024-01-01T00:00:00Z'], ['a', new Date(0)]])]
      expect(check(args)).toBeUndefined()
      expect([...(args[0] as Map<string, Date>).keys()]).toEqual(['b', 'a'])
      expect((args[0] as Map<string, Date>).get('b')).toBeInstanceOf(Date)
    })

    it('accepts a Set, checking its items, and converts an array', () => {
      const check = compile([param('s', setOf({ type: 'number' }))])
      expect(check([new Set([1, 2])])).toBeUndefined()
      expect(check([new Set([1, 'b'])])).toBe('$.s[1]: expected number')
      const args: unknown[] = [[1, 2, 2]]
      expect(check(args)).toBeUndefined()
      expect(args[0]).toEqual(new Set([1, 2]))
      expect(check([[1, 'b']])).toBe('$.s[1]: expected number')
      expect(check(['1,2'])).toBe('$.s: expected Set')
      const dates: unknown[] = [new Set(['2024-01-01T00:00:00Z'])]
      expect(compile([param('s', setOf(date))])(dates)).toBeUndefined()
      expect([...(dates[0] as Set<Date>)][0]).toBeInstanceOf(Date)
    })

    it('undefined accepts only undefined', () => {
      expect(one(undef)(undefined)).toBeUndefined()
      expect(one(undef)(null)).toBe('$.x: expected undefined')
    })

    it('converts nested values in place, in the object that holds them', () => {
      const check = compile([param('event', object({ at: date, tags: { type: 'array', items: bigint }, meta: { type: 'object', additionalProperties: date } }))])
      const event = { at: '2024-01-01T00:00:00Z', tags: ['1', 2], meta: { seen: '2024-01-02T00:00:00Z' } }
      expect(check([event])).toBeUndefined()
      expect(event.at).toBeInstanceOf(Date)
      expect(event.tags).toEqual([1n, 2n])
      expect(event.meta.seen).toBeInstanceOf(Date)
    })
  })

  describe('unions with conversions', () => {
    it('converts with the first branch that matches', () => {
      const dateFirst: unknown[] = ['2024-01-01T00:00:00Z']
      expect(compile([param('x', { anyOf: [date, { type: 'string' }] })])(dateFirst)).toBeUndefined()
      expect(dateFirst[0]).toBeInstanceOf(Date)
      const stringFirst: unknown[] = ['2024-01-01T00:00:00Z']
      expect(compile([param('x', { anyOf: [{ type: 'string' }, date] })])(stringFirst)).toBeUndefined()
      expect(stringFirst[0]).toBe('2024-01-01T00:00:00Z')
    })

    it('accepts Date | null and converts only the date', () => {
      const check = compile([param('x', { anyOf: [date, { type: 'null' }] })])
      const args: unknown[] = [null]
      expect(check(args)).toBeUndefined()
      expect(args[0]).toBeNull()
      args[0] = '2024-01-01T00:00:00Z'
      expect(check(args)).toBeUndefined()
      expect(args[0]).toBeInstanceOf(Date)
      expect(check(['soon'])).toBe('$.x: expected Date')
      expect(check([1])).toBe('$.x: expected Date | null')
    })

    it('leaves no partial conversion behind from a branch that failed', () => {
      const stamped = object({ at: date, n: { type: 'number' } })
      const plain = object({ at: { type: 'string' }, n: { type: 'string' } })
      const check = compile([param('x', { anyOf: [stamped, plain] })])
      const value = { at: '2024-01-01T00:00:00Z', n: 'one' }
      expect(check([value])).toBeUndefined()
      expect(value.at).toBe('2024-01-01T00:00:00Z')
      const other = { at: '2024-01-01T00:00:00Z', n: 1 }
      expect(check([other])).toBeUndefined()
      expect(other.at).toBeInstanceOf(Date)
      expect(check([{ at: 'soon', n: 1 }])).toBe('$.x: expected object')
    })

    it('tells the branches of a converting discriminated union apart', () => {
      const check = compile([param('x', { oneOf: [object({ kind: { const: 'a' }, at: date }), object({ kind: { const: 'b' }, n: bigint })] })])
      const a = { kind: 'a', at: '2024-01-01T00:00:00Z' }
      const b = { kind: 'b', n: '5' }
      expect(check([a])).toBeUndefined()
      expect(check([b])).toBeUndefined()
      expect(a.at).toBeInstanceOf(Date)
      expect(b.n).toBe(5n)
      expect(check([{ kind: 'a', at: 'soon' }])).toBe('$.x.at: expected Date')
      expect(check([{ kind: 'b', n: 'five' }])).toBe('$.x.n: expected bigint')
      expect(check([{ kind: 'c' }])).toBe('$.x: expected { kind: "a" } | { kind: "b" }')
    })

    it('converts a string that two branches accept with the first', () => {
      const check = compile([param('x', { oneOf: [date, bigint] })])
      const args: unknown[] = ['2024-01-01']
      expect(check(args)).toBeUndefined()
      expect(args[0]).toBeInstanceOf(Date)
      args[0] = '2024'
      expect(check(args)).toBeUndefined()
      expect(args[0]).toBe(2024n)
      expect(check(['soon'])).toBe('$.x: expected Date | bigint')
    })

    it('converts inside recursive types', () => {
      const defs = { Event: object({ at: date, next: { anyOf: [{ $ref: '#/$defs/Event' }, { type: 'null' }] } }) }
      const check = one({ $ref: '#/$defs/Event' }, defs)
      const chain = { at: '2024-01-01T00:00:00Z', next: { at: '2024-01-02T00:00:00Z', next: null } }
      expect(check(chain)).toBeUndefined()
      expect(chain.at).toBeInstanceOf(Date)
      expect(chain.next.at).toBeInstanceOf(Date)
      expect(check({ at: '2024-01-01T00:00:00Z', next: { at: 'later', next: null } })).toBe('$.x.next.at: expected Date')
    })
  })

  describe('parameters', () => {
    it('skips an optional parameter that is absent', () => {
      const validate = compile([param('a', { type: 'string' }), param('b', object({ c: { type: 'number' } }), { optional: true })])
      expect(validate(['a'])).toBeUndefined()
      expect(validate(['a', undefined])).toBeUndefined()
      expect(validate(['a', { c: 'd' }])).toBe('$.b.c: expected number')
    })

    it('checks rest arguments in place, numbered from the first of them', () => {
      const validate = compile([param('first', { type: 'string' }), param('xs', { type: 'array', items: date }, { rest: true })])
      expect(validate(['a'])).toBeUndefined()
      const args: unknown[] = ['a', new Date(), '2024-01-01T00:00:00Z']
      expect(validate(args)).toBeUndefined()
      expect(args[2]).toBeInstanceOf(Date)
      expect(validate(['a', new Date(), 'soon'])).toBe('$.xs[1]: expected Date')
      const tuple = compile([param('xs', { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false, minItems: 1 }, { rest: true })])
      expect(tuple(['a', 1])).toBeUndefined()
      expect(tuple([])).toBe('$.xs: expected at least 1 item')
      expect(tuple(['a', 'b'])).toBe('$.xs[1]: expected number')
      expect(tuple(['a', 1, 2])).toBe('$.xs: expected at most 2 items')
    })

    it('checks rest arguments through a named type, or any schema', () => {
      const named = compile([param('xs', { $ref: '#/$defs/Names' }, { rest: true })], { Names: { type: 'array', items: { type: 'string' } } })
      expect(named(['a', 'b'])).toBeUndefined()
      expect(named(['a', 2])).toBe('$.xs[1]: expected string')
      const other = compile([param('n', { type: 'number' }), param('xs', { allOf: [{ type: 'array', items: date }] }, { rest: true })])
      const args: unknown[] = [1, '2024-01-01T00:00:00Z']
      expect(other(args)).toBeUndefined()
      expect(args[1]).toBeInstanceOf(Date)
      expect(other([1, 'soon'])).toBe('$.xs[0]: expected Date')
    })
  })

  it('cannot be injected into through names, values or patterns from the schema', () => {
    const evil = '"]; throw new Error("injected"); //\n\u2028'
    const check = one({
      type: 'object',
      properties: { [evil]: { enum: [evil, '</script>'] } },
      required: [evil],
      propertyNames: { pattern: `^(?:${evil.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}|\\w+)$` },
      additionalProperties: { const: evil },
    })
    expect(check({ [evil]: evil })).toBeUndefined()
    expect(check({ [evil]: 'x' })).toBe(`$.x[${JSON.stringify(evil)}]: expected ${JSON.stringify(evil)} | "</script>"`)
    expect(check({ [evil]: evil, other: 1 })).toBe(`$.x.other: expected ${JSON.stringify(evil)}`)
    expect(check({ [evil]: evil, 'a-b': 1 })).toBe(`$.x["a-b"]: expected ${JSON.stringify(evil)}`)
    expect(one({ $ref: '#/$defs/A%22B' }, { 'A"B': { type: 'object', properties: { a: { type: 'number' } } } })({ a: 'x' })).toBe('$.x.a: expected number')
  })
})
