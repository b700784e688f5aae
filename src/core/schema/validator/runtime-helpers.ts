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
 * A date-time as RFC 3339 writes it (with its offset, or the server's time zone would decide;
 * seconds may be left out), or a plain date, on a real calendar day (02-29 only in leap years).
 * The whole rule is this one regular expression, so that `openapi.json` can document it as the
 * Date's `pattern` (derive-forms.ts) and any JSON Schema validator decides exactly as a service does.
 */
export const ISO = /^(?:\d{4}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)|(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/

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
  return typeof v === 'string' && ISO.test(v)
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
