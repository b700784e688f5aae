import type { FunctionSchema, JsonSchema } from '../schema/types'

/** One function as the document describes it. */
export interface DocumentedFunction {
  name: string
  route: string
  stream: boolean
  schema: FunctionSchema
}

const ERRORS: [status: string, name: string, description: string][] = [
  ['400', 'BadRequest', 'Bad input: INVALID_JSON, INVALID_ENCODING or INVALID_ARGUMENT (the message names the first bad field, e.g. `$.lines[0].qty: expected number`).'],
  ['403', 'Forbidden', 'FORBIDDEN: a browser call from another site.'],
  ['406', 'NotAcceptable', 'NOT_ACCEPTABLE: the function ran, but its result has no plain JSON form (NaN, ±Infinity, an invalid Date); `accept: application/vnd.femto+devalue` gets it.'],
  ['409', 'StaleClient', 'STALE_CLIENT: the caller was built against another contract of the function.'],
  ['413', 'PayloadTooLarge', 'PAYLOAD_TOO_LARGE: the body is over the function\'s bodyLimit.'],
  ['415', 'UnsupportedMediaType', 'UNSUPPORTED_MEDIA_TYPE: a body that is neither JSON nor a form (or the stubs\' own encoding), or JSON sent as a form.'],
  ['500', 'FunctionError', 'The function threw: its `code` (INTERNAL_ERROR for a bug), `name`, `message` and own properties in `data`.'],
  ['503', 'Overloaded', 'OVERLOADED: more calls at once than the function\'s concurrency; retry after `Retry-After` seconds.'],
  ['504', 'Timeout', 'TIMEOUT: the function ran past its timeoutMs.'],
]

const ERROR_BODY: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        name: { type: 'string' },
        data: { type: 'object' },
        requestId: { type: 'string' },
        stack: { type: 'string', description: 'Only from services running with NODE_ENV=development.' },
      },
    },
  },
}

/** `#/$defs/X` (how derived schemas refer to named types) → `#/components/schemas/X`. */
function toComponents(schema: unknown): any {
  if (Array.isArray(schema))
    return schema.map(toComponents)
  if (schema === null || typeof schema !== 'object')
    return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')
      ? `#/components/schemas/${value.slice('#/$defs/'.length)}`
      : toComponents(value)
  }
  return out
}

const BYTES_TYPES = new Set(['File', 'Blob', 'Uint8Array', 'ReadableStream', 'FormData'])

/** A FormData parameter (its function's only one) takes any fields: text, or files. */
function formDataBody(param: { description?: string }, files: boolean): JsonSchema {
  return {
    'type': 'object',
    ...(param.description ? { description: param.description } : {}),
    'additionalProperties': files ? { anyOf: [{ type: 'string' }, { type: 'string', contentMediaType: 'application/octet-stream' }] } : { type: 'string' },
    'x-femto-type': 'FormData',
  }
}

/** A value that travels as bytes (derive-type.ts `binarySchema`): a multipart part, or the body of an answer. */
function isBytesSchema(schema: JsonSchema): boolean {
  return typeof schema === 'object' && BYTES_TYPES.has(schema['x-femto-type'] as string)
}

function isBytesArray(schema: JsonSchema): boolean {
  return typeof schema === 'object' && schema.type === 'array' && schema['x-femto-type'] === undefined && isBytesSchema(schema.items as JsonSchema)
}

function formDataContent(param: { description?: string }): Record<string, unknown> {
  return { 'multipart/form-data': { schema: formDataBody(param, true) }, 'application/x-www-form-urlencoded': { schema: formDataBody(param, false) } }
}

function jsonContent(schema: FunctionSchema, body: JsonSchema): Record<string, unknown> {
  return {
    'application/json': { schema: body },
    // Bytes arguments come as the parts of a form, one per parameter (docs/guide/files-and-forms.md).
    ...(schema.params.some(p => isBytesSchema(p.schema) || isBytesArray(p.schema)) ? { 'multipart/form-data': { schema: requestSchema(schema, 'multipart').oneOf[0] } } : {}),
  }
}

/** The request body: named arguments (what curl users write), or the positional array. */
function requestSchema(schema: FunctionSchema, bytes: 'json' | 'multipart' = 'json'): { oneOf: JsonSchema[] } {
  // Bytes have no JSON form: in a JSON body such a parameter cannot be given (`false`); a form carries it as a part.
  // An array of files (`File[]`) is only empty there.
  if (bytes === 'json' && schema.params.some(p => isBytesSchema(p.schema) || isBytesArray(p.schema)))
    schema = { ...schema, params: schema.params.map(p => (isBytesSchema(p.schema) ? { ...p, schema: false } : isBytesArray(p.schema) ? { ...p, schema: { ...p.schema as object, items: false } } : p)) }
  const named: Record<string, unknown> = {}
  for (const param of schema.params)
    named[param.name] = param.description && typeof param.schema === 'object' ? { ...param.schema, description: param.description } : param.schema
  // A rest parameter is required where its tuple needs elements (`...xy: [number, string]`).
  const required = schema.params.filter(p => (p.rest ? minItemsOf(p.schema) > 0 : !p.optional)).map(p => p.name)
  return {
    oneOf: [
      { title: 'named arguments', type: 'object', properties: named, ...(required.length > 0 ? { required } : {}), additionalProperties: false },
      positionalSchema(schema),
    ],
  }
}

function minItemsOf(schema: JsonSchema): number {
  return typeof schema === 'object' && typeof schema.minItems === 'number' ? schema.minItems : 0
}

/**
 * The arguments as an array: each parameter at its position, then what a rest parameter takes
 * (its tuple's elements, or its items). An optional parameter before a required one (`a = 1, b`)
 * still takes a position, so the array is at least as long as the last required parameter.
 */
function positionalSchema(schema: FunctionSchema): JsonSchema {
  const fixed = schema.params.filter(p => !p.rest)
  const rest = schema.params.find(p => p.rest)?.schema
  const prefixItems: unknown[] = fixed.map(p => p.schema)
  let items: unknown = false
  let restMinimum = 0
  if (rest !== undefined) {
    const tuple = typeof rest === 'object' && rest !== null ? rest : {}
    if (Array.isArray(tuple.prefixItems)) {
      prefixItems.push(...tuple.prefixItems)
      restMinimum = typeof tuple.minItems === 'number' ? tuple.minItems : 0
      items = tuple.items ?? {}
    }
    else {
      // An array schema's items, or anything where the rest type is a named alias (a $ref).
      items = tuple.type === 'array' && tuple.items !== undefined ? tuple.items : {}
    }
  }
  const lastRequired = fixed.reduce((last, p, i) => (p.optional ? last : i), -1)
  const minItems = Math.max(lastRequired + 1, restMinimum > 0 ? fixed.length + restMinimum : 0)
  return {
    title: 'positional arguments',
    type: 'array',
    ...(prefixItems.length > 0 ? { prefixItems } : {}),
    items,
    minItems,
  }
}

function operation(fn: DocumentedFunction): Record<string, unknown> {
  const { schema } = fn
  const summary = schema.description?.split('\n')[0]
  const result = fn.stream
    ? { 'application/x-ndjson': { schema: schema.result } }
    : isBytesSchema(schema.result)
      ? { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } }
      : { 'application/json': { schema: schema.result } }
  const body = requestSchema(schema)
  const formData = schema.params.find(p => typeof p.schema === 'object' && p.schema['x-femto-type'] === 'FormData')
  return {
    operationId: fn.name,
    ...(summary ? { summary } : {}),
    ...(schema.description ? { description: schema.description } : {}),
    requestBody: {
      required: schema.params.some(p => !p.optional && !p.rest),
      // A FormData parameter takes a form body only: JSON has no form of its files.
      content: formData ? formDataContent(formData) : jsonContent(schema, body),
    },
    responses: {
      200: { description: fn.stream ? 'The values the function yields, one JSON value per line as each is yielded (the schema is that of one value).' : 'What the function returned (`undefined` is `null`).', content: result },
      ...Object.fromEntries(ERRORS.map(([status, name]) => [status, { $ref: `#/components/responses/${name}` }])),
    },
  }
}

/**
 * The OpenAPI 3.1 document of some femto functions: one POST per function, whose request body is
 * the named-arguments object or the positional array, and the errors of docs/reference/error-codes.md.
 */
export function openApiDocument(functions: DocumentedFunction[], info: { title: string, version?: string }): Record<string, unknown> {
  const schemas: Record<string, unknown> = {}
  for (const fn of functions)
    Object.assign(schemas, fn.schema.defs)
  schemas.FemtoErrorBody = ERROR_BODY
  const paths: Record<string, unknown> = {}
  for (const fn of [...functions].sort((a, b) => (a.name < b.name ? -1 : 1)))
    paths[fn.route] = { post: operation(fn) }
  return toComponents({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version ?? '1.0.0' },
    paths,
    components: {
      schemas,
      responses: Object.fromEntries(ERRORS.map(([, name, description]) => [name, {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/FemtoErrorBody' } } },
      }])),
    },
  })
}
