import type { StubMeta } from './protocol'

/**
 * While set, a stub gives back its facts (route, name, contract) instead of calling: how
 * `formAttributes(fn)` learns where a form posts from the imported function alone, with no
 * change to the stubs the build writes.
 */
export const describing = { on: false }

/** The facts of a stub, by calling it in describing mode. */
export function metaOf(fn: (...args: any[]) => unknown): StubMeta {
  describing.on = true
  let meta: unknown
  try {
    meta = fn()
  }
  finally {
    describing.on = false
  }
  if (meta === null || typeof meta !== 'object' || typeof (meta as StubMeta).route !== 'string')
    throw new TypeError(`${fn.name || 'this function'} is not a femto function's stub: import it from the module that has 'use femto'`)
  return meta as StubMeta
}
