import type { JsonSchema } from '../types'
import type { Test } from './conditions'
import type { Definitions } from './definitions'
import type { Hoisted } from './hoisted'
import { and, atom, call, equals, instanceOf, isArray, or, typeOf } from './conditions'
import { MAX_COMPARISONS } from './limits'
import { allowedValues, hasArrayKeywords, hasObjectKeywords } from './schema-queries'

/**
 * Schemas as single conditions on a value: the fast path of a validator, and how a union tries
 * a branch without converting anything.
 */
export class ValueConditions {
  constructor(private defs: Definitions, private hoisted: Hoisted) {}

  /** `simpleTest` that hoists nothing unless the whole schema is one condition. */
  simpleOf(schema: JsonSchema, value: string): Test | undefined {
    return this.isSimple(schema) ? this.simpleTest(schema, value) : undefined
  }

  isSimple(schema: JsonSchema): boolean {
    this.hoisted.dry++
    try {
      return this.simpleTest(schema, 'v') !== undefined
    }
    finally {
      this.hoisted.dry--
    }
  }

  /**
   * The schema as one condition that writes nothing, or `undefined` when it needs statements
   * (objects, arrays, Map/Set, calls). A scalar `x-femto-type` is a condition here: converting it
   * is a separate, statement form.
   */
  private simpleTest(schema: JsonSchema, value: string, seen = new Set<string>()): Test | undefined {
    if (typeof schema === 'boolean')
      return schema
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return this.markerTest(String(marker), value)
    if (hasObjectKeywords(schema) || hasArrayKeywords(schema))
      return undefined
    const parts: Test[] = []
    if (typeof schema.$ref === 'string') {
      const name = this.defs.nameOf(schema.$ref)
      if (seen.has(name))
        return undefined
      const test = this.simpleTest(this.defs.get(name), value, new Set([...seen, name]))
      if (test === undefined)
        return undefined
      parts.push(test)
    }
    const values = allowedValues(schema)
    if (values)
      parts.push(this.valuesTest(values, value))
    else if (schema.type !== undefined)
      parts.push(this.typeTest(schema.type, value))
    for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
      if (!Array.isArray(schema[keyword]))
        continue
      const tests = (schema[keyword] as JsonSchema[]).map(branch => this.simpleTest(branch, value, seen))
      if (tests.includes(undefined))
        return undefined
      parts.push(keyword === 'allOf' ? and(tests as Test[]) : or(tests as Test[]))
    }
    return and(parts)
  }

  private markerTest(marker: string, value: string): Test | undefined {
    switch (marker) {
      case 'Date':
        this.hoisted.use('isDate')
        return call(`isDate(${value})`)
      case 'bigint':
        this.hoisted.use('isBig')
        return or([typeOf(value, 'bigint'), call(`isBig(${value})`)])
      case 'URL':
        this.hoisted.use('isUrl')
        return or([instanceOf(value, 'URL'), call(`isUrl(${value})`)])
      case 'undefined':
        return equals(value, 'undefined')
      case 'File':
      case 'Blob':
      case 'Uint8Array':
      case 'ReadableStream':
      case 'FormData':
        return instanceOf(value, marker)
      case 'Map':
      case 'Set':
        return undefined
      default:
        throw new Error(`cannot compile a validator: unknown x-femto-type ${JSON.stringify(marker)}`)
    }
  }

  /** The value is one of `values` (JSON values, compared deeply). */
  valuesTest(values: unknown[], value: string): Test {
    const primitive = values.every(v => v === null || typeof v !== 'object')
    if (primitive && values.length > MAX_COMPARISONS) {
      const set = this.hoisted.constant('E', `new Set(${JSON.stringify(values)})`)
      return atom(`${set}.has(${value})`, `!${set}.has(${value})`)
    }
    return or(values.map((v) => {
      if (v === null || typeof v !== 'object')
        return equals(value, JSON.stringify(v))
      this.hoisted.use('eq')
      // A JSON object written as a JavaScript literal would give `__proto__` its special meaning.
      const constant = this.hoisted.constant('C', `JSON.parse(${JSON.stringify(JSON.stringify(v))})`)
      return call(`eq(${value}, ${constant})`)
    }))
  }

  /** The value is of a JSON Schema `type` (or one of a list of them). */
  typeTest(type: unknown, value: string): Test {
    if (Array.isArray(type))
      return or(type.map(t => this.typeTest(t, value)))
    switch (type) {
      case 'string': case 'number': case 'boolean': return typeOf(value, type)
      case 'integer': return call(`Number.isInteger(${value})`)
      case 'null': return equals(value, 'null')
      case 'array': return isArray(value)
      case 'object':
        return this.plainObject(value)
      default:
        throw new Error(`cannot compile a validator: unknown type ${JSON.stringify(type)}`)
    }
  }

  /**
   * A plain object, not an array, Date, Map… Decoded data has no functions, so `constructor ===
   * Object` can only be inherited from Object.prototype (JSON.parse and devalue make no other
   * objects that inherit it): the fast answer, with an inline cache of its own at each place,
   * where `Object.getPrototypeOf` costs ~15 ns. A null-prototype object, or one with an own
   * `constructor` key, takes that slower, exact check.
   */
  private plainObject(value: string): Test {
    this.hoisted.use('isPlain')
    return and([typeOf(value, 'object'), atom(`${value} !== null`, `${value} === null`), or([equals(`${value}.constructor`, 'Object'), call(`isPlain(${value})`)])])
  }
}
