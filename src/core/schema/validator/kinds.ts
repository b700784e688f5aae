import type { JsonSchema } from '../types'
import type { Definitions } from './definitions'
import { allowedValues } from './schema-queries'

/**
 * The kinds of JavaScript values a schema may accept. A union whose converting branch shares no
 * kind with the others can convert straight away: no other branch could have accepted the value.
 */
export type Kind = 'string' | 'number' | 'bigint' | 'boolean' | 'null' | 'undefined' | 'object' | 'array' | 'Date' | 'Map' | 'Set' | 'URL'

const ALL_KINDS: Kind[] = ['string', 'number', 'bigint', 'boolean', 'null', 'undefined', 'object', 'array', 'Date', 'Map', 'Set', 'URL']

/** An `x-femto-type` accepts its values and their JSON forms. */
const MARKER_KINDS: Record<string, Kind[]> = {
  Date: ['Date', 'string'],
  bigint: ['bigint', 'string', 'number'],
  URL: ['URL', 'string'],
  Map: ['Map', 'array'],
  Set: ['Set', 'array'],
  undefined: ['undefined'],
  File: ['object'],
  Blob: ['object'],
  Uint8Array: ['object'],
  ReadableStream: ['object'],
  FormData: ['object'],
}

export function kindsOf(schema: JsonSchema, defs: Definitions, seen = new Set<string>()): Set<Kind> {
  if (typeof schema === 'boolean')
    return new Set(schema ? ALL_KINDS : [])
  const marker = schema['x-femto-type']
  if (marker !== undefined)
    return new Set(MARKER_KINDS[String(marker)] ?? ALL_KINDS)
  let kinds = new Set<Kind>(ALL_KINDS)
  if (typeof schema.$ref === 'string') {
    const name = defs.nameOf(schema.$ref)
    if (!seen.has(name))
      kinds = intersect(kinds, kindsOf(defs.get(name), defs, new Set([...seen, name])))
  }
  const values = allowedValues(schema)
  if (values)
    kinds = intersect(kinds, new Set(values.map(kindOfJson)))
  else if (schema.type !== undefined)
    kinds = intersect(kinds, new Set((Array.isArray(schema.type) ? schema.type : [schema.type]).map(kindOfType)))
  for (const keyword of ['anyOf', 'oneOf']) {
    if (Array.isArray(schema[keyword]))
      kinds = intersect(kinds, new Set((schema[keyword] as JsonSchema[]).flatMap(branch => [...kindsOf(branch, defs, seen)])))
  }
  for (const part of Array.isArray(schema.allOf) ? schema.allOf as JsonSchema[] : [])
    kinds = intersect(kinds, kindsOf(part, defs, seen))
  return kinds
}

export function intersect(a: Set<Kind>, b: Set<Kind>): Set<Kind> {
  return new Set([...a].filter(kind => b.has(kind)))
}

function kindOfJson(value: unknown): Kind {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value as Kind
}

function kindOfType(type: unknown): Kind {
  return type === 'integer' ? 'number' : type as Kind
}
