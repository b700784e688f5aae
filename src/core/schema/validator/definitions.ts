import type { JsonSchema } from '../types'
import type { SchemaObject } from './schema-queries'
import { has, isBareRef, isConvertedType, subschemas } from './schema-queries'

/** Queries that follow `$ref`s into the named types (`#/$defs/<name>`) of one function's schema. */
export class Definitions {
  private convertMemo = new Map<JsonSchema, boolean>()

  constructor(private defs: Record<string, JsonSchema>) {}

  /** The named type a `$ref` points to; a reference to anything else cannot be compiled. */
  nameOf(ref: string): string {
    const match = /^#\/\$defs\/(.+)$/.exec(ref)
    const name = match && decodeURIComponent(match[1]!).replaceAll('~1', '/').replaceAll('~0', '~')
    if (!name || !Object.hasOwn(this.defs, name))
      throw new Error(`cannot compile a validator: $ref ${JSON.stringify(ref)} is not one of #/$defs/${Object.keys(this.defs).join(', #/$defs/') || ' (none)'}`)
    return name
  }

  /** The schema of a name `nameOf` returned. */
  get(name: string): JsonSchema {
    return this.defs[name]!
  }

  /** Whether values of this schema may need converting (true for a Map/Set in any case). */
  mayConvert(schema: JsonSchema): boolean {
    let known = this.convertMemo.get(schema)
    if (known === undefined) {
      known = this.reaches(schema, isConvertedType)
      this.convertMemo.set(schema, known)
    }
    return known
  }

  /** Whether converting may replace the value itself, not only values inside it. */
  mayConvertRoot(schema: JsonSchema, seen = new Set<string>()): boolean {
    if (typeof schema === 'boolean')
      return false
    if (isConvertedType(schema))
      return true
    if (typeof schema.$ref === 'string') {
      const name = this.nameOf(schema.$ref)
      if (!seen.has(name) && this.mayConvertRoot(this.get(name), new Set([...seen, name])))
        return true
    }
    return ['anyOf', 'oneOf', 'allOf'].some(k => Array.isArray(schema[k]) && (schema[k] as JsonSchema[]).some(b => this.mayConvertRoot(b, seen)))
  }

  isRecursive(name: string): boolean {
    return this.reaches(this.get(name), s => typeof s.$ref === 'string' && this.nameOf(s.$ref) === name)
  }

  /** Whether `found` holds for the schema or any schema it contains or references. */
  reaches(schema: JsonSchema, found: (schema: SchemaObject) => boolean): boolean {
    const seen = new Set<string>()
    const visit = (s: JsonSchema): boolean => {
      if (typeof s === 'boolean')
        return false
      if (found(s))
        return true
      if (typeof s.$ref === 'string') {
        const name = this.nameOf(s.$ref)
        if (!seen.has(name)) {
          seen.add(name)
          if (visit(this.get(name)))
            return true
        }
      }
      return subschemas(s).some(visit)
    }
    return visit(schema)
  }

  /** Whether a missing value (`undefined`) passes: then a required property's message must say "required" itself. */
  acceptsUndefined(schema: JsonSchema, seen = new Set<string>()): boolean {
    if (typeof schema === 'boolean')
      return schema
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return marker === 'undefined'
    if (has(schema, 'const') || has(schema, 'enum') || schema.type !== undefined)
      return false
    if (typeof schema.$ref === 'string') {
      const name = this.nameOf(schema.$ref)
      if (seen.has(name) || !this.acceptsUndefined(this.get(name), new Set([...seen, name])))
        return false
    }
    const union = [schema.anyOf, schema.oneOf].filter(Array.isArray) as JsonSchema[][]
    if (union.some(branches => !branches.some(b => this.acceptsUndefined(b, seen))))
      return false
    return !Array.isArray(schema.allOf) || (schema.allOf as JsonSchema[]).every(b => this.acceptsUndefined(b, seen))
  }

  /** The schema a chain of bare `$ref`s ends at (or the first repeat of a cycle). */
  resolveRoot(schema: JsonSchema): JsonSchema {
    const seen = new Set<string>()
    while (isBareRef(schema)) {
      const name = this.nameOf(schema.$ref)
      if (seen.has(name))
        break
      seen.add(name)
      schema = this.get(name)
    }
    return schema
  }
}
