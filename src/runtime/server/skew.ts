import type { FemtoError } from '../shared/errors'
import { withFacts } from '../client/resilience'

/**
 * During a roll, a callee that has not rolled yet answers `STALE_CLIENT` to a caller that has
 * (docs/guide/version-skew.md). The callee refused before running anything, so a service stub
 * holds such a call as one that never reached the function, trying again until the new version
 * answers or the call's deadline. Browser stubs do not: a page reloads instead.
 */
export function heldDuringRoll(error: FemtoError): FemtoError {
  return error.code === 'STALE_CLIENT' ? withFacts(error, { notReached: true }) : error
}
