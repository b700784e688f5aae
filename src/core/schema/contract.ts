import type { FunctionSchema } from './types'
import { fnv1a } from '../hash'

/**
 * A function's contract from its derived schema: what its callers depend on, so a change in a
 * type imported from another file is a new contract too. Descriptions (JSDoc) are left out:
 * editing a comment must not turn every open browser tab stale.
 */
export function schemaContract(name: string, stream: boolean, schema: FunctionSchema): string {
  const shape = { name, stream, params: schema.params, result: schema.result, defs: schema.defs }
  return fnv1a(JSON.stringify(shape, (key, value) => (key === 'description' ? undefined : value)))
}

/** Derivation found the function and each of its parameters: its schema can be enforced. */
export function isUsableSchema(schema: FunctionSchema | undefined, paramCount: number): schema is FunctionSchema {
  return schema !== undefined && schema.params.length === paramCount
}
