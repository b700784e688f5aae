// A worker thread that derives the functions' schemas from their TypeScript types
// (types-thread.ts): TypeScript loads and its programs run here, not on the bundler's thread.
import type { TypesReply, TypesRequest } from './types-thread'
import { parentPort } from 'node:worker_threads'

// Started when the first program is needed: TypeScript loads at once.
const loaded = import('../schema/fresh-schemas')
// A failed load is the derivation's answer (none: the caller derives in its own thread, for the error).
loaded.catch(() => {})

// In order of arrival: a request waits for the program prepared for it.
parentPort!.on('message', (message: TypesRequest) => {
  void loaded
    .then(({ freshSchemas, prepareProgram }): TypesReply => {
      if ('prepare' in message) {
        prepareProgram(message.prepare.files, message.prepare.root, message.prepare.keep)
        return { seq: message.seq }
      }
      return { seq: message.seq, schemas: [...freshSchemas(message.request, message.keep)] }
    })
    .catch((): TypesReply => ({ seq: message.seq }))
    .then(reply => parentPort!.postMessage(reply))
})
