import { encodeRich } from '../shared/codec'

/** A value as an answer's body: in the rich encoding, or JSON. Throws what cannot be encoded. */
export function encodeValue(value: unknown, rich: boolean): string {
  return rich ? encodeRich(value) : toJson(value)
}

/** JSON as `JSON.stringify` makes it; a BigInt, which it refuses, becomes its decimal string. */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null'
  }
  catch (error) {
    if (!(error instanceof TypeError) || !String(error.message).includes('BigInt'))
      throw error
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'
  }
}
