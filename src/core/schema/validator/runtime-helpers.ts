/**
 * The functions a generated validator calls at run time. They are real code so that they are
 * linted, type-checked and tested, and helper-sources.ts copies their text into each validator
 * that uses them (`Function.prototype.toString()`): a service bundle imports nothing from here.
 *
 * Copied as text, each must stay self-contained: no imports, no module-scope bindings other than
 * the ones below (they are copied under the same names), and no nested functions (a bundler's
 * `keepNames` would wrap those in a `__name` call the validator does not have). The names are
 * part of the generated code, so they are short, and the regexes are declared once per validator:
 * a literal inside a function would make a new RegExp at every call.
 */

/** An identifier, written `.name` in a path; anything else is quoted. */
export const ID = /^[A-Z_$][\w$]*$/i

/**
 * A date-time as RFC 3339 writes it (with its offset, or the server's time zone would decide),
 * or a plain date. `Date.parse` alone accepts far more, and rolls 02-30 into March, hence the
 * day check in `isDate`.
 */
export const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/

export const INT = /^-?\d+$/

/** Only for objects: `constructor === Object` is tried first where it is called, as it is faster. */
export function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v)
  return p === Object.prototype || p === null
}

/** A key as the path of a property: `.name` or `["not an identifier"]`. */
export function pk(k: string): string {
  return ID.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`
}

/** A valid Date instance (the rich encoding carries invalid ones too), or its JSON form. */
export function isDate(v: unknown): boolean {
  if (v instanceof Date)
    return !Number.isNaN(v.getTime())
  if (typeof v !== 'string')
    return false
  const m = ISO.exec(v)
  if (!m || Number.isNaN(Date.parse(v)))
    return false
  const y = Number(m[1])
  const mo = Number(m[2])
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  return Number(m[3]) <= (mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31)
}

/** Digits, or a number that converts exactly. Capped: `BigInt()` of a megabyte of digits takes a quarter of a second. */
export function isBig(v: unknown): boolean {
  return typeof v === 'string' ? v.length <= 4096 && INT.test(v) : Number.isSafeInteger(v)
}

export function isUrl(v: unknown): boolean {
  return typeof v === 'string' && URL.canParse(v)
}

/** Deep equality of JSON values, for `const` and `enum` values that are objects or arrays. */
export function eq(a: unknown, b: unknown): boolean {
  if (a === b)
    return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b))
    return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length)
    return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!
    if (!Object.hasOwn(b, k) || !eq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false
  }
  return true
}
