import ts from 'typescript'
import { INT, ISO } from './validator/runtime-helpers'

/** Schema pieces that do not depend on the checker. */
export type Schema = Record<string, unknown>

const NUMBER_PATTERN = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?'

/** Longest digit string taken for a bigint (runtime-helpers.ts `isBig`). */
export const MAX_BIGINT_DIGITS = 4096

/**
 * Its JSON form, a digit string; a safe integer is taken too (as `isBig` does), so the schema
 * says both: each keyword applies only to its own type.
 */
export function bigintSchema(): Schema {
  return { 'type': ['string', 'integer'], 'pattern': INT.source, 'maxLength': MAX_BIGINT_DIGITS, 'minimum': Number.MIN_SAFE_INTEGER, 'maximum': Number.MAX_SAFE_INTEGER, 'x-femto-type': 'bigint' }
}

/**
 * An ISO string (what `Date#toJSON` writes), or any RFC 3339 date-time or date the service takes:
 * the same regular expression as `isDate`, which also checks the calendar, so any JSON Schema
 * validator agrees with the service. No `format`: `date-time` refuses a plain date, and formats
 * are checked differently by each validator.
 */
export function dateSchema(): Schema {
  return { 'type': 'string', 'pattern': ISO.source, 'x-femto-type': 'Date' }
}

export function pseudoBigIntText(value: ts.PseudoBigInt): string {
  return `${value.negative ? '-' : ''}${value.base10Value}`
}

/** With `type` when all values are of one JSON type, which documentation tools like to show. */
export function enumSchema(values: unknown[]): Schema {
  const types = new Set(values.map(value => (value === null ? 'null' : typeof value)))
  const [only] = types
  return types.size === 1 ? { type: only, enum: values } : { enum: values }
}

/** `{ type: 'string' }` and nothing else: joins others into a type list. */
export function isBareType(schema: Schema): boolean {
  const keys = Object.keys(schema)
  return keys.length === 1 && keys[0] === 'type' && typeof schema.type === 'string'
}

/** `{ type, const }`: joins others into an `enum`. */
export function isLiteral(schema: Schema): boolean {
  return 'const' in schema && Object.keys(schema).every(key => key === 'type' || key === 'const')
}

/** `` `user-${string}` `` as `^user-.*$`. */
export function templatePattern(type: ts.TemplateLiteralType): string {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const placeholder = (part: ts.Type): string => part.flags & ts.TypeFlags.Number
    ? NUMBER_PATTERN
    : part.flags & ts.TypeFlags.BigInt ? '-?[0-9]+' : '.*'
  return `^${escape(type.texts[0]!)}${type.types.map((part, i) => placeholder(part) + escape(type.texts[i + 1]!)).join('')}$`
}
