import type { JsonSchema } from './types'

/** Keywords that say what a value is; a schema with none of them accepts anything. */
const CONSTRAINING = ['type', '$ref', 'anyOf', 'oneOf', 'allOf', 'const', 'enum', 'x-femto-type']

/**
 * Whether `JSON.stringify` already writes the documented plain JSON form of every value the
 * result schema allows, so the service only checks its output for a `null` that stands for
 * NaN, ±Infinity or an invalid Date (runtime/server/encode.ts `resultJson`). Not so when a Map
 * or a Set can occur (it would write `{}`), nor where the schema is open (`unknown`, `object`,
 * an array of anything), as a Map or Set could hide there: those answers are walked.
 *
 * `resolve` looks up a `$ref` (`#/$defs/X` in a derived schema, `#/components/schemas/X` in openapi.json).
 */
export function isPlainJsonResult(schema: JsonSchema, resolve: (ref: string) => JsonSchema | undefined): boolean {
  const seen = new Set<string>()
  const plain = (node: JsonSchema | undefined): boolean => {
    if (node === undefined || node === true)
      return false
    if (node === false)
      return true
    if (!CONSTRAINING.some(keyword => keyword in node))
      return false
    const marker = node['x-femto-type']
    if (marker === 'Map' || marker === 'Set')
      return false
    if (typeof node.$ref === 'string' && !seen.has(node.$ref)) {
      seen.add(node.$ref)
      if (!plain(resolve(node.$ref)))
        return false
    }
    for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
      const branches = node[keyword]
      if (Array.isArray(branches) && !branches.every(branch => plain(branch as JsonSchema)))
        return false
    }
    const types = Array.isArray(node.type) ? node.type : [node.type]
    if (types.includes('object') && !plainObject(node, plain))
      return false
    if (types.includes('array') && !plainArray(node, plain))
      return false
    return true
  }
  return plain(schema)
}

function plainObject(node: Record<string, unknown>, plain: (schema: JsonSchema) => boolean): boolean {
  const properties = node.properties as Record<string, JsonSchema> | undefined
  const rest = node.additionalProperties as JsonSchema | undefined
  if (properties === undefined && rest === undefined)
    return false
  return Object.values(properties ?? {}).every(plain) && (rest === undefined ? false : plain(rest))
}

function plainArray(node: Record<string, unknown>, plain: (schema: JsonSchema) => boolean): boolean {
  const prefix = (node.prefixItems ?? []) as JsonSchema[]
  const items = node.items as JsonSchema | undefined
  return items !== undefined && plain(items) && prefix.every(plain)
}
