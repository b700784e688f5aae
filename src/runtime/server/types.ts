export interface ParamSpec {
  name: string
  optional: boolean
  rest: boolean
}

/** One femto function as a generated entry hands it to the server runtime. */
export interface ServedFunction {
  name: string
  route: string
  params: ParamSpec[]
  /** Largest request body accepted, in bytes. */
  bodyLimit: number
  /** Hash of the signature; a stub built against another one gets 409 STALE_CLIENT. */
  contract?: string
  /** An `async function*`: its values are streamed as they are yielded. */
  stream?: boolean
  fn: (...args: any[]) => unknown
}

/** The framework-free result of one call: what any adapter writes back. */
export interface Outcome {
  status: number
  /** What to answer: encoded as JSON, or in the rich encoding when the caller asked for it. */
  value: unknown
  headers?: Record<string, string>
}
