import type { ErrorPayload } from './protocol'
import { decodeRich } from './codec'

/**
 * What a failed femto call throws in the caller: the wire error (`code`, `status`) with the
 * original error's `name` and `message`, and its own properties in `data` (also copied onto
 * the error itself when they do not clash).
 */
export class FemtoError extends Error {
  readonly code: string
  readonly status: number
  readonly data: Record<string, unknown>
  readonly requestId: string | undefined
  /** The service's stack, sent only by services running with NODE_ENV=development. */
  readonly remoteStack: string | undefined

  constructor(status: number, payload: ErrorPayload) {
    super(payload.message)
    this.name = payload.name ?? 'FemtoError'
    this.code = payload.code
    this.status = status
    this.data = payload.data ?? {}
    this.requestId = payload.requestId
    this.remoteStack = payload.stack
    for (const [key, value] of Object.entries(this.data)) {
      if (!(key in this))
        (this as any)[key] = value
    }
  }
}

export function isFemtoError(value: unknown): value is FemtoError {
  return value instanceof FemtoError
}

/** Reads an error response whatever it holds: a JSON error body, or anything else a proxy sent. */
export function errorFromResponse(status: number, text: string, requestId?: string, rich = false): FemtoError {
  try {
    const body = (rich ? decodeRich(text) : JSON.parse(text)) as any
    if (body && typeof body.error?.code === 'string')
      return new FemtoError(status, { requestId, ...body.error })
  }
  catch {}
  return new FemtoError(status, {
    code: status === 404 ? 'NOT_FOUND' : status >= 500 ? 'UNAVAILABLE' : 'BAD_RESPONSE',
    message: `femto call failed with HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
    requestId,
  })
}
