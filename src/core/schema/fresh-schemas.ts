import type { SchemaRequest } from './derive'
import type { FunctionSchema } from './types'
import { ensureCacheFolder, writeCachedSchemas } from './cache'
import { deriveSchemas, deriveSchemasWithDependencies } from './derive'

/**
 * The schemas a new program derives for `request`; with `keep`, written to the schema cache of
 * `request.root` with what they depend on, for the next build. The same in the dev server's
 * thread and on its types thread (types-worker.ts).
 */
export function freshSchemas(request: SchemaRequest & { root: string }, keep: boolean): Map<string, FunctionSchema> {
  if (!keep)
    return deriveSchemas(request)
  // Before the program looks for modules, so that the folder's creation is not taken for a change.
  ensureCacheFolder(request.root)
  const { schemas, dependencies } = deriveSchemasWithDependencies(request)
  writeCachedSchemas(request.root, request, schemas, dependencies)
  return schemas
}
