// Telling "your mistake" from "our bug", importable from anywhere: nothing here loads Babel, so
// the plugin's hooks and the registry can use it before (or without) the engine.
import type { FemtoUsageError } from './usage-error'

/**
 * Whether `error` is a `FemtoUsageError`, told by its name rather than `instanceof`: the class
 * lives in the lazily loaded engine, and an error may come from another copy of that module
 * (the built plugin beside its sources, a bundler's own module instance).
 */
export function isUsageError(error: unknown): error is FemtoUsageError {
  return error instanceof Error && error.name === 'FemtoUsageError'
}

/** "Our bug": an invariant of the plugin itself broke. */
export function assertInternal(condition: unknown, what: string): asserts condition {
  if (!condition)
    throw new Error(`[unplugin-femto] internal error (a bug, please report it): ${what}`)
}
