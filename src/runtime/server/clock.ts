/**
 * Milliseconds on a monotonic clock, for a call's duration, `Server-Timing` and its timeout.
 * It is `performance.now()` in all but one thing: the first read of Node's `performance` global
 * loads `perf_hooks` (ten internal modules bare `node:http` never loads, ~1.3 ms of a service's
 * first call here), while `process.hrtime()` is already there and costs the same per read
 * (~50 ns). Runtimes without `process.hrtime` get `performance.now()`.
 */
export const now: () => number = typeof process === 'object' && typeof process.hrtime === 'function'
  ? () => {
      const [seconds, nanoseconds] = process.hrtime()
      return seconds * 1e3 + nanoseconds / 1e6
    }
  : () => performance.now()

/** Epoch milliseconds at `now()`'s zero: a span's start as a date. */
export const EPOCH_MS_AT_ZERO = Date.now() - now()
