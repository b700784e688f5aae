import type { FunctionSchema, JsonSchema } from './types'
import { fnv1a } from '../transform/hash'

// Keywords that describe rather than constrain: editing a comment must not turn every open
// browser tab stale.
const ANNOTATIONS = new Set(['description', 'title', 'examples'])
// Keywords whose value is a map from names (chosen by the user) to schemas.
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas'])

/**
 * A function's contract from its derived schema: what its callers depend on, so a change in a
 * type imported from another file is a new contract too. Named types are renumbered in the
 * order this function reaches them, so the names derivation picked (which depend on the other
 * functions of the build) do not matter, and annotations are left out.
 */
export function schemaContract(name: string, stream: boolean, schema: FunctionSchema): string {
  const numbers = new Map<string, string>()
  const pending: string[] = []
  const refTo = (def: string): string => {
    if (!numbers.has(def)) {
      numbers.set(def, String(numbers.size))
      pending.push(def)
    }
    return `#/$defs/${numbers.get(def)}`
  }
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value))
      return value.map(canonical)
    if (value === null || typeof value !== 'object')
      return value
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) {
      if (ANNOTATIONS.has(key))
        continue
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/'))
        out[key] = refTo(inner.slice('#/$defs/'.length))
      else if (SCHEMA_MAPS.has(key) && inner !== null && typeof inner === 'object')
        out[key] = Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, canonical(v)]))
      else
        out[key] = canonical(inner)
    }
    return out
  }
  const params = schema.params.map(p => ({ name: p.name, optional: p.optional, rest: p.rest, schema: canonical(p.schema) }))
  const result = canonical(schema.result)
  const defs: Record<string, unknown> = {}
  for (let def = pending.shift(); def !== undefined; def = pending.shift())
    defs[numbers.get(def)!] = canonical(schema.defs[def] as JsonSchema)
  return fnv1a(JSON.stringify({ name, stream, params, result, defs }))
}

/** Derivation found the function and each of its parameters: its schema can be enforced. */
export function isUsableSchema(schema: FunctionSchema | undefined, paramCount: number): schema is FunctionSchema {
  return schema !== undefined && schema.params.length === paramCount
}
