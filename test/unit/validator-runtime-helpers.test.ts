import type { HelperName } from '../../src/core/schema/validator/helper-sources'
import { describe, expect, it } from 'vitest'
import { helperDeclarations, helperSource, sourceOf } from '../../src/core/schema/validator/helper-sources'
import { eq, isBig, isDate, isPlain, isUrl, pk } from '../../src/core/schema/validator/runtime-helpers'

/** The helpers as a validator declares them, evaluated on their own: what runs in a service. */
function declared<T>(name: HelperName): T {
  const code = helperDeclarations(new Set([name, ...helperSource(name).uses])).join('\n')
  // eslint-disable-next-line no-new-func
  return new Function(`${code}\nreturn ${name}`)() as T
}

describe('runtime helpers', () => {
  it('isPlain: only objects made by JSON.parse or with a null prototype', () => {
    expect(isPlain({})).toBe(true)
    expect(isPlain(JSON.parse('{"__proto__": 1}'))).toBe(true)
    expect(isPlain(Object.create(null))).toBe(true)
    for (const other of [[], new Date(), new Map(), new (class Point {})(), Object.create({})])
      expect(isPlain(other)).toBe(false)
  })

  it('pk: a key as its path, quoted unless it is an identifier', () => {
    expect(pk('name')).toBe('.name')
    expect(pk('$x_1')).toBe('.$x_1')
    expect(pk('__proto__')).toBe('.__proto__')
    expect(pk('a-b')).toBe('["a-b"]')
    expect(pk('1a')).toBe('["1a"]')
    expect(pk('"]; x')).toBe('["\\"]; x"]')
  })

  it('isDate: a valid Date, an RFC 3339 date-time with its offset, or a real calendar date', () => {
    for (const good of [new Date(0), '2024-02-29', '2000-02-29', '2024-01-01T10:00Z', '2024-01-01T10:00:00.123+02:00', '2024-04-30T00:00:00Z'])
      expect(isDate(good), String(good)).toBe(true)
    for (const bad of [new Date(Number.NaN), '2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-01-01T10:00:00', '2024-01-01T25:00:00Z', 'yesterday', 1700000000000, null, undefined])
      expect(isDate(bad), String(bad)).toBe(false)
  })

  it('isBig: digits up to 4096 of them, or a safe integer', () => {
    for (const good of ['0', '-7', '123456789012345678901234567890', '9'.repeat(4096), 42, -1])
      expect(isBig(good), String(good)).toBe(true)
    for (const bad of ['', ' 1', '1.5', '1e3', '+1', '9'.repeat(4097), 1.5, 2 ** 60, Number.NaN, true, null])
      expect(isBig(bad), String(bad)).toBe(false)
  })

  it('isUrl: a string new URL() accepts', () => {
    expect(isUrl('https://example.com/a?b=1')).toBe(true)
    expect(isUrl('mailto:a@b.c')).toBe(true)
    expect(isUrl('not a url')).toBe(false)
    expect(isUrl(new URL('https://example.com'))).toBe(false)
  })

  it('eq: deep equality of JSON values', () => {
    expect(eq(1, 1)).toBe(true)
    expect(eq({ a: [1, { b: null }], c: 'd' }, { c: 'd', a: [1, { b: null }] })).toBe(true)
    expect(eq(Number.NaN, Number.NaN)).toBe(false)
    expect(eq({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    expect(eq({ a: 1, b: undefined }, { a: 1, c: undefined })).toBe(false)
    expect(eq([1], { 0: 1 })).toBe(false)
    expect(eq(null, {})).toBe(false)
    expect(eq([1, 2], [2, 1])).toBe(false)
  })

  it('work the same when declared as text inside a validator', () => {
    const samples: Record<string, unknown[][]> = {
      isPlain: [[{}], [[]], [Object.create(null)]],
      pk: [['a'], ['a-b']],
      isDate: [['2024-02-29'], ['2023-02-29'], [new Date(Number.NaN)]],
      isBig: [['12'], ['1.5'], [2 ** 60]],
      isUrl: [['https://x.y'], ['x']],
      eq: [[{ a: [1] }, { a: [1] }], [{ a: 1 }, { a: 2 }]],
    }
    const originals: Record<string, (...args: never[]) => unknown> = { isPlain, pk, isDate, isBig, isUrl, eq }
    for (const [name, calls] of Object.entries(samples)) {
      const copy = declared<(...args: unknown[]) => unknown>(name as HelperName)
      for (const args of calls)
        expect(copy(...args), `${name} #${calls.indexOf(args)}`).toBe((originals[name] as (...args: unknown[]) => unknown)(...args))
    }
  })
})

describe('helper sources', () => {
  it('declare what each helper reads along with it, in dependency order', () => {
    expect(helperSource('pk').uses).toEqual(['ID'])
    expect(helperSource('isDate').uses).toEqual(['ISO'])
    expect(helperSource('isBig').uses).toEqual(['INT'])
    expect(helperSource('eq').uses).toEqual([])
    expect(helperSource('ID').code).toBe('var ID = /^[A-Z_$][\\w$]*$/i')
    expect(helperDeclarations(new Set(['isDate', 'ISO'])).map(code => code.split(/[ (]/)[1])).toEqual(['ISO', 'isDate'])
  })

  it('refuse a helper a bundler renamed, or whose references it renamed', () => {
    // eslint-disable-next-line no-new-func
    const renamed = new Function('return function isDate$1(v) { return ISO.test(v) }')() as () => boolean
    expect(() => sourceOf('isDate', renamed)).toThrow(/runtime helper isDate was renamed/)
    // eslint-disable-next-line no-new-func
    const reference = new Function('return function isDate(v) { return ISO$1.test(v) }')() as () => boolean
    expect(() => sourceOf('isDate', reference)).toThrow(/runtime helper isDate was renamed/)
  })
})
