import { decodeRich, isRich, RICH_TYPE } from '../shared/codec'
import { WireError } from './outcome'

// Number tokens only (after `[`, `,`, `:`, space or the start): `"file100"` or a hex id is no reason to parse again.
const MAY_OVERFLOW = /(?:^|[\s,:[])-?\d+(?:\.\d+)?e\+?\d{3}|\d{309}/i
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
      throw new WireError('UNSUPPORTED_MEDIA_TYPE', `send the arguments as content-type: application/json, or as a form (application/x-www-form-urlencoded, multipart/form-data) (got ${contentType ? `'${contentType}'` : 'none'})`)
    }
    lastJsonType = contentType
  }
  let value: unknown
  try {
    value = JSON.parse(raw)
  }
  catch (error) {
    if (raw.trim().length === 0)
      return []
    throw new WireError('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`)
  }
  // `1e309` parses to Infinity, which no JSON form of a number allows (openapi.json's `type: number`
  // is finite, as in any JSON Schema validator). Only a body with a long exponent or digit run can hold one.
  if (MAY_OVERFLOW.test(raw))
    JSON.parse(raw, refuseInfinity)
  return value
}

function refuseInfinity(key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new WireError('INVALID_JSON', `the body is not valid JSON: a number${key === '' ? '' : ` at '${key}'`} is too large for a double (it would be ${value})`)
  return value
}
