import { parse, stringify } from 'devalue'

/**
 * The stub's rich encoding (devalue, chosen by the codec comparison in bench/RESULTS.md):
 * Date, Map, Set, BigInt, undefined, NaN, ±Infinity, -0, RegExp, typed arrays, ArrayBuffer,
 * repeated references and cycles natively; URL and Error through the reducers below. Decoding
 * never evaluates code and refuses `__proto__` keys.
 */
export const RICH_TYPE = 'application/vnd.femto+devalue'
/** A stream of rich lines: `[0, value]` per yielded value, `[1, error]` to end with an error. */
export const RICH_STREAM_TYPE = 'application/vnd.femto+devalue-stream'
export const NDJSON_TYPE = 'application/x-ndjson'

const ERROR_CLASSES: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError }
const ERROR_OWN = new Set(['name', 'message', 'stack'])

function ownProps(error: Error): Record<string, unknown> {
  const props: Record<string, unknown> = {}
  for (const key of Object.keys(error)) {
    if (!ERROR_OWN.has(key))
      props[key] = (error as any)[key]
  }
  return props
}

const reducers = {
  URL: (value: unknown) => value instanceof URL && value.href,
  Error: (value: unknown) => value instanceof Error && [value.name, value.message, ownProps(value)],
}

const revivers = {
  URL: (href: string) => new URL(href),
  Error: ([name, message, props]: [string, string, Record<string, unknown>]) => {
    const error = new (Object.hasOwn(ERROR_CLASSES, name) ? ERROR_CLASSES[name]! : Error)(message)
    if (error.name !== name)
      error.name = name
    return Object.assign(error, props)
  },
}

/**
 * A value JSON carries exactly: a string, a boolean, null, or a finite number other than -0.
 * The encoders send such values (and argument lists of them) as plain JSON, which both sides
 * read whatever they asked for: the common call `add(2, 3)` then costs what plain JSON costs.
 */
export function isPlainPrimitive(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    default:
      return value === null
  }
}

/** The body of a stub's call: plain JSON when every argument is a plain primitive. */
export function encodeArgs(args: unknown[]): { body: string, type: string } {
  for (const arg of args) {
    if (!isPlainPrimitive(arg))
      return { body: encodeRich(args), type: RICH_TYPE }
  }
  return { body: JSON.stringify(args), type: 'application/json' }
}

export function encodeRich(value: unknown): string {
  return stringify(value, reducers)
}

export function decodeRich(text: string): unknown {
  return parse(text, revivers)
}

/** Whether an `accept` or `content-type` header names the rich encoding. */
export function isRich(header: string | null | undefined): boolean {
  return !!header && header.includes(RICH_TYPE)
}
