import type { FirstProgram, SchemaRequest } from './derive'
import type { FunctionSchema } from './types'
import { ensureCacheFolder, writeCachedSchemas } from './cache'
import { DependencyRecorder } from './dependencies'
import { deriveSchemas, deriveSchemasWithDependencies, deriveSchemasWithProgram, firstProgram, rootsOf } from './derive'

/** The first program {@link prepareProgram} made, and what it was made for. */
let prepared: (FirstProgram & { roots: string[], root: string, keep: boolean }) | undefined

/**
 * A build's first program, made for the modules that hold the directive before their functions
 * are analysed (types-worker.ts): the request that follows, for the same modules, only derives.
 */
export function prepareProgram(files: string[], root: string, keep: boolean): void {
  if (keep)
    ensureCacheFolder(root)
  prepared = { ...firstProgram(files, root, keep ? new DependencyRecorder() : undefined), roots: files, root, keep }
}

/** The prepared program, once, if it was made for `request`'s roots, in their order. */
function takePrepared(request: SchemaRequest & { root: string }, keep: boolean): FirstProgram | undefined {
  const early = prepared
  prepared = undefined
  const roots = rootsOf(request)
  const same = early && early.root === request.root && early.keep === keep && early.roots.length === roots.length && early.roots.every((file, i) => file === roots[i])
  return same ? early : undefined
}

/**
 * The schemas a new program derives for `request`; with `keep`, written to the schema cache of
 * `request.root` with what they depend on, for the next build. The same in the dev server's
 * thread and on the types thread (types-worker.ts).
 */
export function freshSchemas(request: SchemaRequest & { root: string }, keep: boolean): Map<string, FunctionSchema> {
  const early = takePrepared(request, keep)
  if (!keep)
    return early ? deriveSchemasWithProgram(request, undefined, early.program).schemas : deriveSchemas(request)
  // Before the program looks for modules, so that the folder's creation is not taken for a change.
  ensureCacheFolder(request.root)
  const { schemas, dependencies } = deriveSchemasWithDependencies(request, early)
  writeCachedSchemas(request.root, request, schemas, dependencies)
  return schemas
}
