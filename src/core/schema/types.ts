/**
 * The contract between schema derivation (TypeScript types → JSON Schema, build time), the
 * validator compiler (JSON Schema → generated checks, shipped in each service) and the OpenAPI
 * writer.
 *
 * Schemas are JSON Schema 2020-12 and describe the JSON form of a value, so they can go into
 * `openapi.json` as they are. Values the rich encoding (devalue) carries natively but JSON cannot
 * are marked with `x-femto-type`, and the validator checks the decoded JavaScript value for them:
 *
 * | TypeScript   | schema                                                                                  |
 * | ------------ | --------------------------------------------------------------------------------------- |
 * | `Date`       | `{ type: 'string', pattern: <RFC 3339 date-time or date, calendar-checked>, 'x-femto-type': 'Date' }` |
 * | `bigint`     | `{ type: ['string', 'integer'], pattern: '^-?\\d+$', maxLength: 4096, minimum/maximum: ±(2⁵³−1), 'x-femto-type': 'bigint' }` |
 * | `Map<K, V>`  | `{ type: 'array', items: { type: 'array', prefixItems: [K, V], minItems: 2, maxItems: 2 }, 'x-femto-type': 'Map' }` |
 * | `Set<T>`     | `{ type: 'array', items: T, 'x-femto-type': 'Set' }` (repeats are taken, and dropped)   |
 * | `URL`        | `{ type: 'string', format: 'uri', 'x-femto-type': 'URL' }`                               |
 * | `File`, `Blob`, `Uint8Array`, `ReadableStream` | `{ type: 'string', contentMediaType: 'application/octet-stream', 'x-femto-type': <name> }`: bytes, a multipart part in a request (never in a JSON body: `openapi.json` has `false` there) and the body of an answer |
 * | `FormData`   | `{ type: 'object', 'x-femto-type': 'FormData' }`: a function's only parameter, which gets the whole multipart or urlencoded body (never a JSON one) |
 * | `undefined`  | `{ 'x-femto-type': 'undefined' }` (only inside unions; optional properties, and those whose type includes `undefined`, are just not `required`) |
 *
 * Each is also the form of a plain JSON answer (runtime/server/encode.ts `resultJson`).
 *
 * A type derivation cannot express becomes `{}` (anything) plus a {@link SchemaWarning}.
 * Named types (interfaces, aliases, enums) go into `defs` and are referenced as
 * `{ $ref: '#/$defs/<Name>' }`, which is also how recursive types are written.
 */
export type JsonSchema = boolean | { [keyword: string]: unknown }

export interface ParamSchema {
  name: string
  /** Optional, or has a default value: may be absent. */
  optional: boolean
  /** A rest parameter: `schema` describes the array of the remaining arguments. */
  rest: boolean
  schema: JsonSchema
  /** From the function's JSDoc `@param name text`. */
  description?: string
}

export interface FunctionSchema {
  params: ParamSchema[]
  /** The awaited return type; for an async generator, the type of each yielded value. */
  result: JsonSchema
  /** Named types referenced from `params` and `result` as `#/$defs/<Name>`. */
  defs: Record<string, JsonSchema>
  /** The function's JSDoc text (without tags). */
  description?: string
  warnings: SchemaWarning[]
  /** What the build refuses (bytes where they cannot travel: bytes-placement.ts): each fails the build with its position. */
  errors?: SchemaWarning[]
}

export interface SchemaWarning {
  /** Absolute path of the file with the type that could not be expressed. */
  file: string
  /** 1-based. */
  line: number
  /** 0-based, as Babel reports it. */
  column: number
  message: string
}
