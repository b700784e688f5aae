import type { JsonSchema } from '../../src/core/schema/types'
import { describe, expect, it } from 'vitest'
import { misplacedBytes } from '../../src/core/schema/bytes-placement'

// Where bytes may be in a signature (docs/guide/files-and-forms.md#where-bytes-can-be), on the
// schemas the derivation writes (x-femto-type markers, $refs into defs).
const bytes = (name: string): JsonSchema => ({ 'type': 'string', 'contentMediaType': 'application/octet-stream', 'x-femto-type': name })
const formData: JsonSchema = { 'type': 'object', 'x-femto-type': 'FormData' }
const param = (name: string, schema: JsonSchema, rest = false): { name: string, rest: boolean, schema: JsonSchema } => ({ name, rest, schema })

describe('bytes where they can travel', () => {
  it.each([
    ['a File parameter', [param('file', bytes('File'))]],
    ['File | null', [param('file', { anyOf: [bytes('File'), { type: 'null' }] })]],
    ['File[] and Blob[]', [param('photos', { type: 'array', items: bytes('File') }), param('blobs', { type: 'array', items: bytes('Blob') })]],
    ['a named alias of File', [param('file', { $ref: '#/$defs/Upload' })]],
    ['a stream beside a string', [param('label', { type: 'string' }), param('body', bytes('ReadableStream'))]],
    ['a Uint8Array anywhere', [param('doc', { type: 'object', properties: { data: bytes('Uint8Array'), list: { type: 'array', items: bytes('Uint8Array') } } })]],
    ['a FormData alone', [param('form', formData)]],
  ])('%s', (_, params) => {
    expect(misplacedBytes(params, bytes('Blob'), { Upload: bytes('File') })).toEqual([])
  })
})

describe('bytes where they cannot travel', () => {
  const defs = { Doc: { type: 'object', properties: { title: { type: 'string' }, attachment: bytes('File') } } }
  it.each([
    ['a File in an object', [param('doc', { $ref: '#/$defs/Doc' })], /parameter 'doc' holds a File at \$\.attachment/],
    ['a File in a tuple', [param('pair', { type: 'array', prefixItems: [bytes('File'), { type: 'string' }], items: false })], /holds a File at \$\[0\]/],
    ['a Blob in a Map', [param('m', { 'type': 'array', 'items': { type: 'array', prefixItems: [{ type: 'string' }, bytes('Blob')] }, 'x-femto-type': 'Map' })], /holds a Blob at \$\[\]\[1\]/],
    ['a stream array', [param('streams', { type: 'array', items: bytes('ReadableStream') })], /holds a ReadableStream at \$\[\]/],
    ['File[][]', [param('grid', { type: 'array', items: { type: 'array', items: bytes('File') } })], /holds a File at \$\[\]\[\]/],
    ['files as a rest parameter', [param('files', { type: 'array', items: bytes('File') }, true)], /or a rest parameter/],
    ['a FormData beside a string', [param('form', formData), param('plan', { type: 'string' })], /parameter 'form' is a FormData, which gets the whole form, beside other parameters/],
    ['a FormData in an object', [param('x', { type: 'object', properties: { form: formData } })], /parameter 'x' holds a FormData at \$\.form/],
  ])('%s', (_, params, message) => {
    const found = misplacedBytes(params, undefined, defs)
    expect(found).toHaveLength(1)
    expect(found[0]!.message).toMatch(message)
  })

  it('a result with bytes inside, or a FormData result', () => {
    expect(misplacedBytes([], { type: 'object', properties: { cover: bytes('Blob') } }, {})).toEqual([{ at: 'result', message: expect.stringMatching(/the result holds a Blob at \$\.cover/) }])
    expect(misplacedBytes([], { type: 'array', items: bytes('File') }, {})[0]!.message).toMatch(/the result holds a File at \$\[\]/)
    expect(misplacedBytes([], formData, {})[0]!.message).toMatch(/the result is a FormData/)
  })

  it('a recursive type is walked once', () => {
    const tree = { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } }, icon: bytes('Blob') } } }
    expect(misplacedBytes([param('root', { $ref: '#/$defs/Node' })], undefined, tree)[0]!.message).toMatch(/holds a Blob at \$\.children\[\]\.icon/)
    const plain = { Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } }
    expect(misplacedBytes([param('root', { $ref: '#/$defs/Node' })], undefined, plain)).toEqual([])
  })
})
