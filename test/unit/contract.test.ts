import type { FunctionSchema } from '../../src/core/schema/types'
import { describe, expect, it } from 'vitest'
import { schemaContract } from '../../src/core/schema/contract'

function box(valueType: string, defName = 'Box', description = 'a box'): FunctionSchema {
  return {
    params: [{ name: 'b', optional: false, rest: false, schema: { $ref: `#/$defs/${defName}` }, description: 'the box' }],
    result: { type: 'string' },
    defs: { [defName]: { type: 'object', description, properties: { description: { type: valueType }, size: { type: 'number', description: 'how big' } }, required: ['size'], additionalProperties: false } },
    warnings: [],
  }
}

describe('contracts from schemas', () => {
  it('ignore annotations, but not a property that happens to be called description', () => {
    expect(schemaContract('f', false, box('string', 'Box', 'one comment'))).toBe(schemaContract('f', false, box('string', 'Box', 'another comment')))
    expect(schemaContract('f', false, box('string'))).not.toBe(schemaContract('f', false, box('number')))
  })

  it('do not depend on the name derivation gave a type', () => {
    expect(schemaContract('f', false, box('string', 'Box'))).toBe(schemaContract('f', false, box('string', 'Box_billing')))
  })

  it('change with the function name, streaming, or a parameter', () => {
    const base = schemaContract('f', false, box('string'))
    expect(schemaContract('g', false, box('string'))).not.toBe(base)
    expect(schemaContract('f', true, box('string'))).not.toBe(base)
    expect(schemaContract('f', false, { ...box('string'), params: [{ ...box('string').params[0]!, optional: true }] })).not.toBe(base)
  })
})
