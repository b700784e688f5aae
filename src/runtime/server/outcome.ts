import type { ErrorCode, ErrorPayload } from '../protocol'
import type { Outcome } from './types'
import { FemtoError } from '../errors'
import { ERROR_STATUS } from '../protocol'

export function errorOutcome(code: ErrorCode, message: string, headers?: Record<string, string>): Outcome {
  return { status: ERROR_STATUS[code], body: JSON.stringify({ error: { code, message } }), headers }
}

/** Thrown inside the request path to end it with a wire error. */
export class WireError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message)
  }
}

const OWN_FIELDS = new Set(['code', 'name', 'message', 'stack'])

/** A thrown value as the 500 body: its name, message, code and own enumerable props. */
export function thrownOutcome(thrown: unknown, requestId: string): Outcome {
  const dev = process.env.NODE_ENV === 'development'
  if (thrown instanceof FemtoError) {
    // A callee's error passes through a caller unchanged, not wrapped in the caller's own fields.
    const payload: ErrorPayload = { code: thrown.code, message: thrown.message, name: thrown.name, requestId }
    if (Object.keys(thrown.data).length > 0)
      payload.data = thrown.data
    if (dev && thrown.remoteStack)
      payload.stack = thrown.remoteStack
    return { status: 500, body: safeStringify(payload) }
  }
  const error = thrown instanceof Error ? thrown : undefined
  const payload: ErrorPayload = {
    code: typeof (thrown as any)?.code === 'string' ? (thrown as any).code : 'INTERNAL_ERROR',
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
  return { status: 500, body: safeStringify(payload) }
}

function safeStringify(payload: ErrorPayload): string {
  try {
    return JSON.stringify({ error: payload })
  }
  catch {
    // Props that JSON cannot carry (cycles, BigInt) are dropped rather than failing the answer.
    delete payload.data
    return JSON.stringify({ error: payload })
  }
}
