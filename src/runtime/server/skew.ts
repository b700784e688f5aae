import type { FemtoError } from '../shared/errors'
import { withFacts } from '../client/resilience'

/**
 * During a roll, a callee that has not rolled yet answers `STALE_CLIENT` to a caller that has
 * (docs/guide/version-skew.md). The callee refused before running anything, so a service stub
 * holds such a call as one that never reached the function, trying again until the new version
 * answers or the call's deadline (`onStale`: the caller tries on a new connection). Browser
 * stubs do not: a page reloads instead.
 */
export function heldDuringRoll(error: FemtoError, onStale?: () => void): FemtoError {
  if (error.code !== 'STALE_CLIENT')
    return error
  onStale?.()
  return withFacts(error, { notReached: true })
}
