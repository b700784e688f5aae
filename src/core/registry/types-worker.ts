// A worker thread of `vite dev` that derives the functions' schemas from their TypeScript types
// (types-thread.ts): TypeScript loads and its programs run here, not on the dev server's thread.
import type { TypesReply, TypesRequest } from './types-thread'
import { parentPort } from 'node:worker_threads'

// Started when the first program is needed: TypeScript loads at once.
const loaded = import('../schema/derive')
// A failed load is the derivation's answer (none: the dev server derives in its own thread, for the error).
loaded.catch(() => {})

parentPort!.on('message', ({ seq, request, cache }: TypesRequest) => {
  void (async (): Promise<TypesReply> => {
    try {
      const { deriveSchemas, deriveSchemasWithDependencies } = await loaded
      if (!cache)
        return { seq, schemas: [...deriveSchemas(request)] }
      const { ensureCacheFolder, writeCachedSchemas } = await import('../schema/cache')
      // Before the program looks for modules, so that the folder's creation is not taken for a change.
      ensureCacheFolder(request.root!)
      const { schemas, dependencies } = deriveSchemasWithDependencies(request)
      writeCachedSchemas(request.root!, request, schemas, dependencies)
      return { seq, schemas: [...schemas] }
    }
    catch {
      return { seq }
    }
  })().then(reply => parentPort!.postMessage(reply))
})
