import { decodeRich, isRich, RICH_TYPE } from '../shared/codec'
import { WireError } from './outcome'

const JSON_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i
// Clients send the same content-type on every call: remember the last one that passed.
let lastJsonType = 'application/json'

/** The arguments' value from a request body, in the encoding its content-type names. */
export function decodeBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length > 0 && isRich(contentType)) {
    try {
      return decodeRich(raw)
    }
    catch (error) {
      const reason = error instanceof RangeError ? 'it is nested too deeply' : (error as Error).message
      throw new WireError('INVALID_ENCODING', `the body is not valid ${RICH_TYPE}: ${reason}`)
    }
  }
  return decodeJsonBody(raw, contentType)
}

/** The JSON value of a body; an empty body is no arguments at all. */
export function decodeJsonBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0)
    return []
  if (contentType !== lastJsonType) {
    if (!contentType || !JSON_CONTENT_TYPE.test(contentType)) {
      if (raw.trim().length === 0)
        return []
      throw new WireError('UNSUPPORTED_MEDIA_TYPE', `send the arguments as content-type: application/json (got ${contentType ? `'${contentType}'` : 'none'})`)
    }
    lastJsonType = contentType
  }
  try {
    return JSON.parse(raw)
  }
  catch (error) {
    if (raw.trim().length === 0)
      return []
    throw new WireError('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`)
  }
}
