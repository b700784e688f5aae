import type { JsonSchema } from '../types'

/**
 * What a schema says about itself, read without following `$ref`s (definitions.ts follows
 * them). Nothing here writes code.
 */

export type SchemaObject = Record<string, unknown>

export const OBJECT_KEYWORDS = ['properties', 'required', 'additionalProperties', 'propertyNames']
export const ARRAY_KEYWORDS = ['items', 'prefixItems', 'minItems', 'maxItems']
/** The keywords a validator checks; any other (`format`, `pattern`, `description`…) is documentation here. */
const VALIDATION_KEYWORDS = new Set(['type', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf', 'x-femto-type', ...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS])

/** Values of these `x-femto-type`s arrive in their JSON forms and are converted in place. */
const CONVERTED_TYPES = new Set(['Date', 'bigint', 'URL', 'Map', 'Set'])

export function isValidationKeyword(keyword: string): boolean {
  return VALIDATION_KEYWORDS.has(keyword)
}

export function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** An own keyword with a value: a schema parsed from JSON may carry `"__proto__"`, an object literal `undefined`s. */
export function has(schema: SchemaObject, keyword: string): boolean {
  return Object.hasOwn(schema, keyword) && schema[keyword] !== undefined
}

export function hasObjectKeywords(schema: SchemaObject): boolean {
  return OBJECT_KEYWORDS.some(k => has(schema, k))
}

export function hasArrayKeywords(schema: SchemaObject): boolean {
  return ARRAY_KEYWORDS.some(k => has(schema, k))
}

/** Nothing but documentation: every value passes. */
export function acceptsAnything(schema: JsonSchema): boolean {
  return schema === true || (isSchemaObject(schema) && !Object.keys(schema).some(isValidationKeyword))
}

/** A `$ref` and nothing else to check: it stands for the named type. */
export function isBareRef(schema: JsonSchema): schema is SchemaObject & { $ref: string } {
  return isSchemaObject(schema) && typeof schema.$ref === 'string' && Object.keys(schema).filter(isValidationKeyword).length === 1
}

/** Whether its values arrive in a JSON form that is converted: a Date, a bigint, a URL, a Map, a Set. */
export function isConvertedType(schema: SchemaObject): boolean {
  return CONVERTED_TYPES.has(schema['x-femto-type'] as string)
}

/** The schemas it contains (not those it references). */
export function subschemas(schema: SchemaObject): JsonSchema[] {
  const found: JsonSchema[] = []
  if (isSchemaObject(schema.properties))
    found.push(...Object.values(schema.properties) as JsonSchema[])
  for (const keyword of ['additionalProperties', 'items']) {
    if (schema[keyword] !== undefined)
      found.push(schema[keyword] as JsonSchema)
  }
  for (const keyword of ['prefixItems', 'anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(schema[keyword]))
      found.push(...schema[keyword] as JsonSchema[])
  }
  return found
}

/** Required properties with one constant value: what tells the branches of a union apart. */
export function discriminators(schema: SchemaObject): [string, unknown][] {
  const properties = isSchemaObject(schema.properties) ? schema.properties : {}
  const required = Array.isArray(schema.required) ? schema.required : []
  return Object.entries(properties).flatMap(([name, property]) => {
    if (!required.includes(name) || !isSchemaObject(property))
      return []
    if (has(property, 'const'))
      return [[name, property.const] as [string, unknown]]
    return Array.isArray(property.enum) && property.enum.length === 1 ? [[name, property.enum[0]] as [string, unknown]] : []
  }).filter(([, constant]) => constant === null || typeof constant !== 'object')
}

/** `const` or `enum`, less values the schema's `type` rules out. */
export function allowedValues(schema: SchemaObject): unknown[] | undefined {
  const values = has(schema, 'const') ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined
  if (!values || schema.type === undefined)
    return values
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  return values.filter(v => types.some(type => jsonTypeMatches(v, type)))
}

/** Whether a JSON value is of a JSON Schema `type`. */
export function jsonTypeMatches(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'number': return typeof value === 'number'
    case 'boolean': return typeof value === 'boolean'
    case 'integer': return Number.isInteger(value)
    case 'null': return value === null
    case 'array': return Array.isArray(value)
    case 'object': return isSchemaObject(value)
    default: return false
  }
}
