/**
 * Reading what a function threw, without throwing again. A thrown value is user code: its
 * `message` or `stack` may be a getter that throws, it may be a Proxy whose every trap throws,
 * and `stack` itself throws while some package has left a throwing `Error.prepareStackTrace`
 * behind (`bindings` does, when it fails). The request path reads thrown values only through
 * here, so that such a call still gets its 500 and the service keeps serving.
 */
import type { Logger } from './log'

/** `read()`, or `fallback` when reading throws. */
export function attempt<T>(read: () => T, fallback: T): T {
  try {
    return read()
  }
  catch {
    return fallback
  }
}

/** `instanceof`, which a Proxy's `getPrototypeOf` trap can make throw. */
export function isInstance<T>(value: unknown, type: abstract new (...args: any[]) => T): value is T {
  return attempt(() => value instanceof type, false)
}

/** A property of the thrown value, when it is a string and reading it does not throw. */
export function stringField(value: unknown, key: string): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
    return undefined
  const field = attempt(() => (value as Record<string, unknown>)[key], undefined)
  return typeof field === 'string' ? field : undefined
}

/** `String(value)`, or a fixed text when the value cannot be turned into one. */
export function text(value: unknown): string {
  return attempt(() => String(value), `a thrown ${typeof value} that cannot be read`)
}

/**
 * Logs a thrown value on stderr, as fully as it lets itself be read: `console.error` first (it
 * reads the stack and every property); if that throws, the parts that can be read, and why the
 * rest cannot.
 */
export function logThrown(line: string, thrown: unknown): void {
  try {
    console.error(line, thrown)
  }
  catch (again) {
    const name = stringField(thrown, 'name') ?? typeof thrown
    const message = stringField(thrown, 'message') ?? (typeof thrown === 'object' && thrown !== null ? '(its message cannot be read)' : text(thrown))
    const stack = attempt(() => stringField(thrown, 'stack'), undefined)
    const why = typeof Error.prepareStackTrace === 'function' && stack === undefined
      ? 'its stack cannot be read: a package has left a throwing Error.prepareStackTrace behind'
      : `logging it threw (${stringField(again, 'message') ?? text(again)})`
    process.stderr.write(`${line} ${name}: ${message}\n${stack ? `${stack}\n` : ''}  (${why})\n`)
  }
}

/** One line of text for a log record: the stack when it can be read, else the message or the value. */
export function describeThrown(thrown: unknown): string {
  return stringField(thrown, 'stack') ?? stringField(thrown, 'message') ?? text(thrown)
}

/**
 * Errors thrown outside any call (a stray timer, a promise nobody awaited). Until the service
 * listens it cannot do its job: the error is printed and the process exits 1 (its manager restarts
 * it, or shows why it failed). Once it listens, such an error does not stop it from serving, and
 * which call scheduled it cannot be told without tracking every async step of every call: it is
 * logged and the service serves on. Its exit code is 1 from then on, so that a process which then
 * ends without a signal (nothing left to run) does not pass for one that stopped cleanly; a
 * signal's drain still exits 0.
 */
export function handleStrayErrors(service: string, logger: Logger, listening: () => boolean): void {
  const stray = (kind: string) => (error: unknown): void => {
    if (!listening()) {
      logThrown(`[femto] ${service} failed while starting (${kind}):`, error)
      process.exit(1)
    }
    process.exitCode = 1
    logger.log('error', kind, { error: describeThrown(error) })
  }
  process.on('uncaughtException', stray('uncaught exception'))
  process.on('unhandledRejection', stray('unhandled rejection'))
}
