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
  fn: (...args: any[]) => unknown
}

/** The framework-free result of one call: what any adapter writes back. */
export interface Outcome {
  status: number
  body: string
  headers?: Record<string, string>
}
