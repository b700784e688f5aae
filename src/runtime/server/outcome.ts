import type { ErrorCode, ErrorPayload } from '../shared/protocol'
import type { Call } from './call-record'
import type { Outcome } from './types'
import { FemtoError } from '../shared/errors'
import { ERROR_STATUS } from '../shared/protocol'
import { attempt, isInstance, logThrown, stringField, text } from './thrown'

export function errorOutcome(code: ErrorCode, message: string, headers?: Record<string, string>): Outcome {
  return { status: ERROR_STATUS[code], value: { error: { code, message } }, headers }
}

/** Thrown inside the request path to end it with a wire error. */
export class WireError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message)
  }
}

const OWN_FIELDS = new Set(['code', 'name', 'message', 'stack', 'expose'])

/**
 * An error meant for the caller: it carries a string `code` (or `expose: true`), or it is a
 * callee's FemtoError passing through. Anything else is a bug, whose details stay in the
 * service log unless NODE_ENV=development. Reading the thrown value may throw: then it is a bug.
 */
export function isExpected(thrown: unknown): boolean {
  if (isInstance(thrown, FemtoError))
    return true
  if (thrown === null || typeof thrown !== 'object')
    return false
  return attempt(() => {
    if ((thrown as any).expose === true)
      return true
    // Node's system errors (ECONNREFUSED, ENOENT, …) carry a code too, and paths and addresses.
    return Object.hasOwn(thrown, 'code') && typeof (thrown as any).code === 'string' && !('syscall' in thrown) && !('errno' in thrown)
  }, false)
}

/** The 500 of a call whose error cannot be described: only what the service itself knows. */
function internalPayload(requestId: string): ErrorPayload {
  return {
    code: 'INTERNAL_ERROR',
    message: `the function failed; the service log has the details (request ${requestId})`,
    name: 'Error',
    requestId,
  }
}

/** A thrown value as the error payload of a 500; never throws, whatever was thrown. */
export function thrownPayload(thrown: unknown, requestId: string): ErrorPayload {
  const dev = process.env.NODE_ENV === 'development'
  if (isInstance(thrown, FemtoError)) {
    // A callee's error passes through a caller unchanged, not wrapped in the caller's own fields.
    const payload: ErrorPayload = { code: thrown.code, message: thrown.message, name: thrown.name, requestId }
    if (Object.keys(thrown.data).length > 0)
      payload.data = thrown.data
    if (dev && thrown.remoteStack)
      payload.stack = thrown.remoteStack
    return payload
  }
  const expected = isExpected(thrown)
  if (!dev && !expected)
    return internalPayload(requestId)
  const error = isInstance(thrown, Error) ? thrown : undefined
  const payload: ErrorPayload = {
    code: (expected && stringField(thrown, 'code')) || 'INTERNAL_ERROR',
    message: error ? stringField(error, 'message') ?? '' : text(thrown),
    name: error ? stringField(error, 'name') ?? 'Error' : typeof thrown,
    requestId,
  }
  if (thrown !== null && typeof thrown === 'object') {
    const data: Record<string, unknown> = {}
    for (const key of attempt(() => Object.keys(thrown), [])) {
      if (!OWN_FIELDS.has(key))
        data[key] = attempt(() => (thrown as any)[key], '(cannot be read)')
    }
    if (Object.keys(data).length > 0)
      payload.data = data
  }
  const stack = dev && error ? stringField(error, 'stack') : undefined
  if (stack)
    payload.stack = stack
  return payload
}

export function thrownOutcome(thrown: unknown, requestId: string): Outcome {
  return { status: 500, value: { error: thrownPayload(thrown, requestId) } }
}

/**
 * What a failed stage of a call answers: a WireError as itself; anything else is logged, and a
 * 500 with the call's request id. It never throws: a call that fails while its failure is being
 * handled still gets its answer, and the service goes on.
 */
export function failedOutcome(call: Call, error: unknown): Outcome {
  if (isInstance(error, WireError))
    return errorOutcome(error.code, error.message)
  logThrown(`[femto] ${call.fn.name} threw (request ${call.requestId}):`, error)
  return attempt(() => thrownOutcome(error, call.requestId), { status: 500, value: { error: internalPayload(call.requestId) } })
}
