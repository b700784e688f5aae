// A worker thread of `vite dev` that derives the functions' schemas from their TypeScript types
// (types-thread.ts): TypeScript loads and its programs run here, not on the dev server's thread.
import type { TypesReply, TypesRequest } from './types-thread'
import { parentPort } from 'node:worker_threads'

// Started when the first program is needed: TypeScript loads at once.
const loaded = import('../schema/fresh-schemas')
// A failed load is the derivation's answer (none: the dev server derives in its own thread, for the error).
loaded.catch(() => {})

parentPort!.on('message', ({ seq, request, keep }: TypesRequest) => {
  void loaded
    .then(({ freshSchemas }): TypesReply => ({ seq, schemas: [...freshSchemas(request, keep)] }))
    .catch((): TypesReply => ({ seq }))
    .then(reply => parentPort!.postMessage(reply))
})
