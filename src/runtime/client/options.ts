/** Per-call options, kept apart from the function's own parameters. */
export interface CallOptions {
  /** Aborting it cancels the call; the service sees its request aborted. */
  signal?: AbortSignal
  /** Extra request headers (auth, tracing, …). */
  headers?: Record<string, string>
  /** The stub gives up after this long and throws `FemtoError` with code `TIMEOUT`. */
  timeoutMs?: number
}

let pending: CallOptions | undefined

/**
 * `withOptions(add, { signal })(2, 3)`: calls a femto function with per-call options. A stub
 * takes the options synchronously when it is called, so they never leak into another call; a
 * plain function (no plugin, e.g. in unit tests) is simply called.
 */
export function withOptions<F extends (...args: any[]) => any>(fn: F, options: CallOptions): F {
  return ((...args: Parameters<F>) => {
    pending = options
    try {
      return fn(...args)
    }
    finally {
      pending = undefined
    }
  }) as F
}

export function takeCallOptions(): CallOptions | undefined {
  const options = pending
  pending = undefined
  return options
}
