import type { JsonSchema } from '../types'
import type { Test } from './conditions'
import type { Compiler } from './context'
import { and, equals, instanceOf, isArray, or, typeOf } from './conditions'
import { ownRead } from './property-access'
import { allowedValues, discriminators } from './schema-queries'

/**
 * A shallow condition telling whether a value was plausibly meant for this schema: its kind,
 * its discriminating constants. Every value the schema accepts meets it.
 */
export function gate(compiler: Compiler, schema: JsonSchema, value: string, seen: Set<string>): Test {
  if (typeof schema === 'boolean')
    return schema
  const marker = schema['x-femto-type']
  if (marker !== undefined)
    return markerGate(String(marker), value)
  const { defs, conditions } = compiler
  const parts: Test[] = []
  if (typeof schema.$ref === 'string') {
    const name = defs.nameOf(schema.$ref)
    if (!seen.has(name))
      parts.push(gate(compiler, defs.get(name), value, new Set([...seen, name])))
  }
  const values = allowedValues(schema)
  if (values)
    parts.push(conditions.valuesTest(values, value))
  else if (schema.type !== undefined)
    parts.push(conditions.typeTest(schema.type === 'integer' ? 'number' : schema.type, value))
  if (schema.type === 'object') {
    for (const [name, constant] of discriminators(schema))
      parts.push(conditions.valuesTest([constant], ownRead(value, name)))
  }
  for (const keyword of ['anyOf', 'oneOf']) {
    if (Array.isArray(schema[keyword]))
      parts.push(or((schema[keyword] as JsonSchema[]).map(branch => gate(compiler, branch, value, seen))))
  }
  if (Array.isArray(schema.allOf))
    parts.push(...(schema.allOf as JsonSchema[]).map(part => gate(compiler, part, value, seen)))
  return and(parts)
}

/** An `x-femto-type` lets in its values and their JSON forms. */
function markerGate(marker: string, value: string): Test {
  const isString = typeOf(value, 'string')
  switch (marker) {
    case 'Date': return or([instanceOf(value, 'Date'), isString])
    case 'URL': return or([instanceOf(value, 'URL'), isString])
    case 'bigint': return or([typeOf(value, 'bigint'), isString, typeOf(value, 'number')])
    case 'Map': case 'Set': return or([instanceOf(value, marker), isArray(value)])
    case 'File': case 'Blob': case 'Uint8Array': case 'ReadableStream': case 'FormData': return instanceOf(value, marker)
    default: return equals(value, 'undefined')
  }
}
