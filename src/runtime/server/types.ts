import type { AuthHook } from './guard'

export interface ParamSpec {
  name: string
  optional: boolean
  rest: boolean
}

/**
 * How a form field's text or file becomes an argument: as it is (`string`), a number, a boolean, a
 * text form the checks convert (`text`: Date, bigint, URL), JSON (`json`: anything else), or bytes;
 * `[]` before one: an array of such, one per repeated field. `FormData`: the function's only
 * parameter, which gets the whole form.
 */
export type FieldKind = 'string' | 'number' | 'boolean' | 'text' | 'json' | 'File' | 'Blob' | 'Uint8Array' | 'ReadableStream' | 'FormData' | `[]${'string' | 'number' | 'boolean' | 'text' | 'json' | 'File' | 'Blob' | 'Uint8Array'}`

/** One femto function as a generated entry hands it to the server runtime. */
export interface ServedFunction {
  name: string
  route: string
  params: ParamSpec[]
  /** Largest request body accepted, in bytes. */
  bodyLimit: number
  /** Largest file in a multipart body, in bytes; default: `bodyLimit`. */
  fileLimit?: number
  /** How a form field becomes each parameter's argument (form.ts), decided from its type at build time; absent: JSON text. */
  fields?: FieldKind[]
  /** A call running longer is answered 504 TIMEOUT, and its request signal aborts; null: none. */
  timeoutMs?: number | null
  /** Calls of it at once in this process before 503 OVERLOADED; null: no limit. */
  concurrency?: number | null
  /** Hash of the signature; a stub built against another one gets 409 STALE_CLIENT. */
  contract?: string
  /** An `async function*`: its values are streamed as they are yielded. */
  stream?: boolean
  /**
   * Checks (and completes: ISO strings to `Date`, …) the decoded arguments, generated at build
   * time from the TypeScript types: the first problem as `$.path: expected …`, or undefined.
   */
  validate?: (args: unknown[]) => string | undefined
  /**
   * Set at build time when the result's schema holds no Map, Set or open part: its plain JSON
   * answer is then `JSON.stringify`'s, checked rather than walked (encode.ts `resultJson`).
   */
  plainResult?: boolean
  /** A Standard Schema validator (zod, valibot, …) of the named-arguments object, used instead. */
  standard?: StandardSchema
  /** No client code imports it (or its `exposure` policy says so): only other femto services may call it (guard.ts `checkInternal`). */
  internal?: boolean
  /** Decides whether a call from outside may run (`'femto auth=<binding>'`, or the `auth` option's module). */
  auth?: AuthHook
  fn: (...args: any[]) => unknown
}

/** The part of the Standard Schema interface (standardschema.dev) the service uses. */
export interface StandardSchema {
  '~standard': {
    validate: (value: unknown) => StandardResult | Promise<StandardResult>
  }
}

export type StandardResult
  = | { value: unknown, issues?: undefined }
    | { issues: ReadonlyArray<{ message: string, path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> }

/** The framework-free result of one call: what any adapter writes back. */
export interface Outcome {
  status: number
  /** What to answer: encoded as JSON, or in the rich encoding when the caller asked for it. */
  value: unknown
  headers?: Record<string, string>
}
