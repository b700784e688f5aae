import type { FieldKind } from '../../runtime/server/types'

type Schema = Record<string, any>

/**
 * How a form field becomes each parameter's argument (runtime/server/form.ts), from the
 * parameters' schemas in the function's `openapi.json` operation: text for strings, a number,
 * a boolean, bytes for File/Blob/Uint8Array/ReadableStream, JSON for anything else.
 */
export function formFieldsOf(openapi: Record<string, any> | undefined, route: string, params: { name: string, rest: boolean }[]): FieldKind[] | undefined {
  const content = openapi?.paths?.[route]?.post?.requestBody?.content
  // A function with bytes parameters has them only in its multipart schema (a JSON body cannot hold them).
  const named = (content?.['multipart/form-data']?.schema ?? content?.['application/json']?.schema?.oneOf?.[0])?.properties as Record<string, Schema> | undefined
  // A FormData parameter, the only one, gets the whole form (runtime/server/form.ts).
  if (content?.['multipart/form-data']?.schema?.['x-femto-type'] === 'FormData')
    return ['FormData']
  if (!named)
    return undefined
  const resolve = (schema: Schema | undefined): Schema | undefined => {
    const prefix = '#/components/schemas/'
    for (let i = 0; i < 20 && typeof schema?.$ref === 'string' && schema.$ref.startsWith(prefix); i++)
      schema = openapi?.components?.schemas?.[schema.$ref.slice(prefix.length)]
    return schema
  }
  return params.map((param) => {
    const schema = resolve(named[param.name])
    if (param.rest || (schema?.type === 'array' && schema['x-femto-type'] === undefined)) {
      const item = itemKind(resolve(schema?.items))
      return item === 'ReadableStream' ? 'json' : `[]${item}` as FieldKind
    }
    return itemKind(schema)
  })
}

function itemKind(schema: Schema | undefined): Exclude<FieldKind, `[]${string}`> {
  const marker = schema?.['x-femto-type']
  if (marker === 'File' || marker === 'Blob' || marker === 'Uint8Array' || marker === 'ReadableStream')
    return marker
  if (marker === 'Date' || marker === 'bigint' || marker === 'URL')
    return 'text'
  if (marker !== undefined)
    return 'json'
  if (schema?.type === 'string')
    return 'string'
  if (schema?.type === 'number' || schema?.type === 'integer')
    return 'number'
  if (schema?.type === 'boolean')
    return 'boolean'
  // A union of string literals (an enum) is text as well.
  if (Array.isArray(schema?.enum) && schema.enum.every((v: unknown) => typeof v === 'string'))
    return 'string'
  return 'json'
}
