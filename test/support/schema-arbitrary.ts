import type { JsonSchema } from '../../src/core/schema/types'
import fc from 'fast-check'

type Node = Record<string, unknown>
type Resolve = (ref: string) => JsonSchema | undefined

/** A JSON value of any shape, for replacing a part of a good argument. */
const anyJson = fc.jsonValue({ maxDepth: 2 })

/**
 * Values in the JSON form a schema documents, with the edge forms a plain client may send
 * (a date without seconds, digits for a bigint, repeated Set items…): what a generator that
 * knew only the schema would try. Depth-limited through `$ref`s.
 */
export function arbitraryOf(schema: JsonSchema, resolve: Resolve, depth = 0): fc.Arbitrary<unknown> {
  if (schema === true || depth > 6)
    return anyJson
  if (schema === false)
    return fc.constant('never')
  const node = schema as Node
  if (typeof node.$ref === 'string')
    return fc.constant(null).chain(() => arbitraryOf(resolve(node.$ref as string) ?? true, resolve, depth + 1))
  if ('const' in node)
    return fc.constant(node.const)
  if (Array.isArray(node.enum))
    return fc.constantFrom(...node.enum)
  for (const keyword of ['anyOf', 'oneOf']) {
    if (Array.isArray(node[keyword]))
      return fc.oneof(...(node[keyword] as JsonSchema[]).map(branch => arbitraryOf(branch, resolve, depth + 1)))
  }
  switch (node['x-femto-type']) {
    case 'Date':
      return fc.oneof(
        fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map(d => d.toISOString()),
        fc.constantFrom('2026-02-29T00:00:00Z', '2024-02-29T12:00:00+01:00', '2026-01-02', '2026-01-02T03:04Z', '2026-01-02T03:04:05', '2026-01-02 03:04:05Z', '2026-13-01T00:00:00Z', '2026-01-02T24:00:00Z', 'yesterday'),
      )
    case 'bigint':
      return fc.oneof(fc.bigInt().map(String), fc.integer(), fc.constantFrom('-0', '007', '1.5', '1e3', ' 1', ''))
    case 'URL':
      return fc.oneof(fc.webUrl(), fc.constantFrom('not a url', 'mailto:a@b.c', 'http://', 'urn:isbn:0451450523'))
    case 'undefined':
      return fc.constant(null)
  }
  const types = Array.isArray(node.type) ? node.type as string[] : typeof node.type === 'string' ? [node.type] : undefined
  if (!types)
    return anyJson
  return fc.oneof(...types.map(type => arbitraryOfType(type, node, resolve, depth)))
}

function arbitraryOfType(type: string, node: Node, resolve: Resolve, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return typeof node.pattern === 'string' ? fc.stringMatching(new RegExp(node.pattern as string, 'u')) : fc.string()
    case 'number':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))
    case 'integer':
      return fc.integer()
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const prefix = ((node.prefixItems ?? []) as JsonSchema[]).map(item => arbitraryOf(item, resolve, depth + 1))
      const items = node.items === false ? undefined : arbitraryOf((node.items ?? true) as JsonSchema, resolve, depth + 1)
      const rest = items ? fc.array(items, { maxLength: depth > 3 ? 1 : 4 }) : fc.constant([])
      const min = typeof node.minItems === 'number' ? node.minItems : 0
      return fc.tuple(fc.tuple(...prefix), rest, fc.nat(prefix.length)).map(([head, tail, cut]) => {
        // Optional tuple elements may be left out (never below minItems).
        const kept = head.slice(0, Math.max(min, head.length - (tail.length === 0 ? cut : 0)))
        return kept.length < head.length ? kept : [...head, ...tail]
      })
    }
    case 'object': {
      const properties = (node.properties ?? {}) as Record<string, JsonSchema>
      const required = new Set((node.required ?? []) as string[])
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [key, value] of Object.entries(properties))
        record[key] = arbitraryOf(value, resolve, depth + 1)
      const known = fc.record(record, { requiredKeys: Object.keys(properties).filter(key => required.has(key)) })
      const more = node.additionalProperties
      if (more === false || more === undefined)
        return known
      const keys = node.propertyNames && typeof (node.propertyNames as Node).pattern === 'string'
        ? fc.stringMatching(new RegExp((node.propertyNames as Node).pattern as string, 'u'))
        : fc.string({ maxLength: 5 })
      return fc.tuple(known, fc.dictionary(keys, arbitraryOf(more as JsonSchema, resolve, depth + 1), { maxKeys: 3 }))
        .map(([a, b]) => ({ ...b, ...a }))
    }
    default:
      return anyJson
  }
}

/** One change to a JSON value somewhere inside it: replaced, removed, added, or its type flipped. */
export interface Mutation { at: number, kind: 'replace' | 'remove' | 'add' | 'wrap', key: string, replacement: unknown }

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(64),
  kind: fc.constantFrom('replace', 'remove', 'add', 'wrap'),
  key: fc.constantFrom('extra', 'qty', 'sku', 'label', '0', 'x'),
  replacement: anyJson,
}) as fc.Arbitrary<Mutation>

/** Applies `m` at the `m.at`-th container of `value` (in walk order, wrapping around); returns a new value. */
export function mutate(value: unknown, m: Mutation): unknown {
  const copy = structuredClone(value)
  const containers: (unknown[] | Record<string, unknown>)[] = []
  const walk = (v: unknown): void => {
    if (v !== null && typeof v === 'object') {
      containers.push(v as never)
      for (const inner of Object.values(v))
        walk(inner)
    }
  }
  walk(copy)
  if (containers.length === 0)
    return m.kind === 'wrap' ? [copy] : m.replacement
  const target = containers[m.at % containers.length]!
  const keys = Object.keys(target)
  const key = keys.length > 0 ? keys[m.at % keys.length]! : undefined
  if (Array.isArray(target)) {
    if (m.kind === 'add' || key === undefined)
      target.push(m.replacement)
    else if (m.kind === 'remove')
      target.splice(Number(key), 1)
    else
      target[Number(key)] = m.kind === 'wrap' ? [target[Number(key)]] : m.replacement
  }
  else if (m.kind === 'add' || key === undefined) {
    target[m.key] = m.replacement
  }
  else if (m.kind === 'remove') {
    delete target[key]
  }
  else {
    target[key] = m.kind === 'wrap' ? [target[key]] : m.replacement
  }
  return copy
}

/**
 * One small valid value of a schema, the same every time: what a person trying an API would
 * send (numbers are 2, so that no `ms` or `from` argument makes a call slow or endless).
 */
export function exampleOf(schema: JsonSchema, resolve: Resolve, depth = 0): unknown {
  if (schema === true || schema === false)
    return 'x'
  const node = schema as Node
  if (typeof node.$ref === 'string')
    return exampleOf(resolve(node.$ref) ?? true, resolve, depth + 1)
  if ('const' in node)
    return node.const
  if (Array.isArray(node.enum))
    return node.enum[0]
  for (const keyword of ['anyOf', 'oneOf']) {
    const branches = node[keyword] as JsonSchema[] | undefined
    if (Array.isArray(branches))
      return exampleOf(branches.find(b => typeof b !== 'object' || b.type !== 'null') ?? branches[0]!, resolve, depth + 1)
  }
  switch (node['x-femto-type']) {
    case 'Date': return '2026-01-02T03:04:05.000Z'
    case 'bigint': return '42'
    case 'URL': return 'https://example.com/'
  }
  const type = Array.isArray(node.type) ? (node.type as string[]).find(t => t !== 'null') ?? 'null' : node.type as string | undefined
  switch (type) {
    case 'string': return typeof node.pattern === 'string' ? fc.sample(fc.stringMatching(new RegExp(node.pattern, 'u')), { seed: 1, numRuns: 1 })[0] : 'ada'
    case 'number':
    case 'integer': return 2
    case 'boolean': return true
    case 'null': return null
    case 'array': {
      const prefix = ((node.prefixItems ?? []) as JsonSchema[]).map(item => exampleOf(item, resolve, depth + 1))
      const wanted = typeof node.minItems === 'number' ? node.minItems : 0
      const items = node.items === false || node.items === undefined ? [] : Array.from({ length: Math.max(depth > 3 ? 0 : 1, wanted - prefix.length) }, () => exampleOf(node.items as JsonSchema, resolve, depth + 1))
      return [...prefix, ...items]
    }
    case 'object':
      return Object.fromEntries(Object.entries((node.properties ?? {}) as Record<string, JsonSchema>).map(([key, value]) => [key, exampleOf(value, resolve, depth + 1)]))
    default:
      return 'x'
  }
}
