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
  /** A call running longer is answered 504 TIMEOUT, and its request signal aborts; null: none. */
  timeoutMs?: number | null
  /** Calls of it at once in this process before 503 OVERLOADED; null: no limit. */
  concurrency?: number | null
  /** Calls of it running now (kept only when `concurrency` is set). */
  active?: number
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
