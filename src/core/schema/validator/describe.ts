import type { JsonSchema } from '../types'
import type { Compiler } from './context'
import type { SchemaObject } from './schema-queries'
import { ID } from './runtime-helpers'
import { allowedValues, discriminators, hasArrayKeywords, hasObjectKeywords } from './schema-queries'

/**
 * What a schema expects, as messages say it: `expected number`, `expected "a" | "b"`, `expected
 * { kind: "circle" } | null`. A named type is spelled out when it is one condition, else named.
 */
export function describe(compiler: Pick<Compiler, 'defs' | 'conditions'>, schema: JsonSchema, seen = new Set<string>()): string {
  if (typeof schema === 'boolean')
    return schema ? 'anything' : 'never'
  const marker = schema['x-femto-type']
  if (marker !== undefined)
    return String(marker)
  if (typeof schema.$ref === 'string') {
    const name = compiler.defs.nameOf(schema.$ref)
    const def = compiler.defs.get(name)
    return seen.has(name) || !compiler.conditions.isSimple(def) ? name : describe(compiler, def, new Set([...seen, name]))
  }
  const values = allowedValues(schema)
  if (values)
    return describeValues(values)
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (Array.isArray(union))
    return describeUnion(compiler, union, seen)
  if (schema.type !== undefined)
    return schema.type === 'object' ? describeObject(schema) : describeType(schema.type)
  if (hasObjectKeywords(schema))
    return describeObject(schema)
  if (hasArrayKeywords(schema))
    return 'array'
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0)
    return describe(compiler, schema.allOf[0] as JsonSchema, seen)
  return 'anything'
}

export function describeUnion(compiler: Pick<Compiler, 'defs' | 'conditions'>, branches: JsonSchema[], seen = new Set<string>()): string {
  return [...new Set(branches.flatMap(branch => describe(compiler, branch, seen).split(' | ')))].join(' | ')
}

export function describeType(type: unknown): string {
  return Array.isArray(type) ? type.join(' | ') : String(type)
}

export function describeValues(values: unknown[]): string {
  return values.length === 0 ? 'never' : values.map(v => JSON.stringify(v)).join(' | ')
}

/** `{ kind: "circle" }` for a branch of a discriminated union, else `object`. */
function describeObject(schema: SchemaObject): string {
  const known = discriminators(schema)
  if (known.length === 0)
    return 'object'
  return `{ ${known.map(([name, constant]) => `${ID.test(name) ? name : JSON.stringify(name)}: ${JSON.stringify(constant)}`).join(', ')} }`
}
