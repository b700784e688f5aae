import type { ErrorCode, ErrorPayload } from '../shared/protocol'
import type { Call } from './call-record'
import type { Outcome } from './types'
import { FemtoError } from '../shared/errors'
import { ERROR_STATUS } from '../shared/protocol'

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
 * service log unless NODE_ENV=development.
 */
export function isExpected(thrown: unknown): boolean {
  if (thrown instanceof FemtoError)
    return true
  if (thrown === null || typeof thrown !== 'object')
    return false
  if ((thrown as any).expose === true)
    return true
  // Node's system errors (ECONNREFUSED, ENOENT, …) carry a code too, and paths and addresses.
  return Object.hasOwn(thrown, 'code') && typeof (thrown as any).code === 'string' && !('syscall' in thrown) && !('errno' in thrown)
}

/** A thrown value as the error payload of a 500. */
export function thrownPayload(thrown: unknown, requestId: string): ErrorPayload {
  const dev = process.env.NODE_ENV === 'development'
  if (thrown instanceof FemtoError) {
    // A callee's error passes through a caller unchanged, not wrapped in the caller's own fields.
    const payload: ErrorPayload = { code: thrown.code, message: thrown.message, name: thrown.name, requestId }
    if (Object.keys(thrown.data).length > 0)
      payload.data = thrown.data
    if (dev && thrown.remoteStack)
      payload.stack = thrown.remoteStack
    return payload
  }
  const error = thrown instanceof Error ? thrown : undefined
  if (!dev && !isExpected(thrown)) {
    return {
      code: 'INTERNAL_ERROR',
      message: `the function failed; the service log has the details (request ${requestId})`,
      name: 'Error',
      requestId,
    }
  }
  const payload: ErrorPayload = {
    code: isExpected(thrown) && typeof (thrown as any).code === 'string' ? (thrown as any).code : 'INTERNAL_ERROR',
    message: error ? error.message : String(thrown),
    name: error ? error.name : typeof thrown,
    requestId,
  }
  if (thrown !== null && typeof thrown === 'object') {
    const data: Record<string, unknown> = {}
    for (const key of Object.keys(thrown)) {
      if (!OWN_FIELDS.has(key))
        data[key] = (thrown as any)[key]
    }
    if (Object.keys(data).length > 0)
      payload.data = data
  }
  if (dev && error?.stack)
    payload.stack = error.stack
  return payload
}

export function thrownOutcome(thrown: unknown, requestId: string): Outcome {
  return { status: 500, value: { error: thrownPayload(thrown, requestId) } }
}

/** What a failed stage of a call answers: a WireError as itself; anything else is logged, and a 500. */
export function failedOutcome(call: Call, error: unknown): Outcome {
  if (error instanceof WireError)
    return errorOutcome(error.code, error.message)
  console.error(`[femto] ${call.fn.name} threw (request ${call.requestId}):`, error)
  return thrownOutcome(error, call.requestId)
}
