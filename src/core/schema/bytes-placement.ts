import type { JsonSchema } from './types'

/**
 * Where bytes may be in a signature (docs/guide/files-and-forms.md): a `File`, `Blob` or
 * `ReadableStream` travels as a multipart part of its own, so it must be a parameter (or the
 * items of an array parameter, one part each, except a stream) or the result itself, never
 * inside an object, a tuple, a Map or a Set, which go in the rich encoding or JSON. A `FormData`
 * parameter gets the whole form, so it must be the only parameter. A `Uint8Array` may be
 * anywhere: the rich encoding carries typed arrays exactly. Each problem is said once, with
 * where it is (`$.attachment`) and what to do.
 */
const PART_TYPES = new Set(['File', 'Blob', 'ReadableStream'])

export interface Misplaced {
  /** The parameter's index, or `result`. */
  at: number | 'result'
  message: string
}

interface Place {
  /** The value itself is a parameter or the result (through unions and named types). */
  top: boolean
  /** The items of an array parameter. */
  arrayItem: boolean
}

export function misplacedBytes(params: { name: string, rest: boolean, schema: JsonSchema }[], result: JsonSchema | undefined, defs: Record<string, JsonSchema>): Misplaced[] {
  const problems: Misplaced[] = []
  params.forEach((param, index) => {
    const where = `parameter '${param.name}'`
    const found = findMisplaced(param.schema, defs, param.rest ? { top: false, arrayItem: false } : { top: true, arrayItem: false }, true)
    if (found) {
      problems.push({ at: index, message: found.marker === 'FormData'
        ? `${where} holds a FormData at ${found.path}: a FormData gets the whole form, so it can only be a parameter of its own. Make it the function's only parameter (\`(form: FormData)\`)`
        : `${where} holds a ${found.marker} at ${found.path}: bytes travel as a multipart part of their own, not inside another value${param.rest ? ' or a rest parameter' : ''}. Make it a parameter of its own (e.g. \`(doc: Doc, attachment: File)\` rather than \`(doc: Doc & { attachment: File })\`)` })
      return
    }
    if (params.length > 1 && isFormData(param.schema, defs))
      problems.push({ at: index, message: `${where} is a FormData, which gets the whole form, beside other parameters. Make it the function's only parameter and read the other values from it (\`form.get('name')\`), or take the fields as parameters of their own (\`(name: string, avatar: File)\`)` })
  })
  if (result !== undefined) {
    const found = findMisplaced(result, defs, { top: true, arrayItem: false }, false)
    if (found) {
      problems.push({ at: 'result', message: found.marker === 'FormData'
        ? `the result is a FormData, which a function cannot return. Return an object, or a Blob`
        : `the result holds a ${found.marker} at ${found.path}: bytes go back as the body of the answer, so only the result itself can be bytes. Return the bytes alone, or call a second function for them` })
    }
  }
  return problems
}

function isFormData(schema: JsonSchema, defs: Record<string, JsonSchema>): boolean {
  return typeof schema === 'object' && (schema['x-femto-type'] === 'FormData' || (typeof schema.$ref === 'string' && isFormData(defs[refName(schema.$ref)] ?? {}, defs)))
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1)
}

function findMisplaced(schema: JsonSchema, defs: Record<string, JsonSchema>, place: Place, parameter: boolean, path = '$', seen = new Set<string>()): { marker: string, path: string } | undefined {
  if (typeof schema !== 'object' || schema === null)
    return undefined
  const marker = schema['x-femto-type']
  if (marker === 'FormData')
    return place.top && parameter ? undefined : { marker, path }
  if (typeof marker === 'string' && PART_TYPES.has(marker))
    return place.top || (place.arrayItem && marker !== 'ReadableStream') ? undefined : { marker, path }
  const same = (inner: unknown): ReturnType<typeof findMisplaced> => findMisplaced(inner as JsonSchema, defs, place, parameter, path, seen)
  const inside = (inner: unknown, at: string, arrayItem = false): ReturnType<typeof findMisplaced> => findMisplaced(inner as JsonSchema, defs, { top: false, arrayItem }, parameter, at, seen)
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref)
    const key = `${name}:${place.top}:${place.arrayItem}`
    if (!seen.has(key)) {
      seen.add(key)
      const found = same(defs[name])
      if (found)
        return found
    }
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    for (const branch of Array.isArray(schema[keyword]) ? schema[keyword] as unknown[] : []) {
      const found = same(branch)
      if (found)
        return found
    }
  }
  // A Map or Set is an array of entries or items in its JSON form: still not a part of its own.
  const plainArray = marker === undefined
  if (schema.items !== undefined) {
    const found = inside(schema.items, `${path}[]`, plainArray && place.top && parameter)
    if (found)
      return found
  }
  for (const [i, item] of (Array.isArray(schema.prefixItems) ? schema.prefixItems as unknown[] : []).entries()) {
    const found = inside(item, `${path}[${i}]`)
    if (found)
      return found
  }
  for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, unknown>)) {
    const found = inside(value, /^[A-Z_$][\w$]*$/i.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`)
    if (found)
      return found
  }
  for (const keyword of ['additionalProperties', 'patternProperties']) {
    const value = schema[keyword]
    const values = keyword === 'patternProperties' && typeof value === 'object' && value !== null ? Object.values(value) : [value]
    for (const each of values) {
      const found = inside(each, `${path}[string]`)
      if (found)
        return found
    }
  }
  return undefined
}
