/**
 * The OpenAPI document a gateway publishes: only the functions it routes. The build's document
 * describes every function, internal ones too (a service's own `/openapi.json` is for the
 * machines beside it); at the public edge their names, arguments and types would tell outsiders
 * what they cannot call. Their types in `components.schemas` go with them.
 */
export function publicDocument(document: OpenApiDocument, routed: (path: string) => boolean): OpenApiDocument {
  const paths = Object.fromEntries(Object.entries(document.paths ?? {}).filter(([path]) => routed(path)))
  if (!document.components)
    return { ...document, paths }
  // What the kept paths refer to, and what that refers to in turn.
  const wanted = new Set<string>()
  const visit = (value: unknown): void => {
    if (Array.isArray(value))
      return value.forEach(visit)
    if (value === null || typeof value !== 'object')
      return
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/') && !wanted.has(inner)) {
        wanted.add(inner)
        const [, , kind, name] = inner.split('/')
        visit(document.components?.[kind!]?.[decodeURIComponent(name!)])
      }
      else {
        visit(inner)
      }
    }
  }
  visit(paths)
  // The functions' own types; the shared error answers and anything else stay as they are.
  const schemas = document.components.schemas
  if (!schemas)
    return { ...document, paths }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => wanted.has(`#/components/schemas/${name}`) || wanted.has(`#/components/schemas/${encodeURIComponent(name)}`)))
  return { ...document, paths, components: { ...document.components, schemas: kept } }
}

export interface OpenApiDocument {
  paths?: Record<string, unknown>
  components?: Record<string, Record<string, unknown>>
  [key: string]: unknown
}
