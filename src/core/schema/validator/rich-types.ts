import type { JsonSchema } from '../types'
import type { Compiler, Ctx } from './context'
import type { SchemaObject } from './schema-queries'
import { emitItems } from './arrays'
import { slotOf } from './context'
import { message } from './messages'
import { acceptsAnything, isSchemaObject } from './schema-queries'

/** `new Map` throws on an entry that is not an object: entries are pairs, whatever the schema says. */
const MAP_ENTRY: JsonSchema = { type: 'array', minItems: 2, maxItems: 2 }

/**
 * An `x-femto-type` (types.ts): checked as the JavaScript value the rich encoding decodes to,
 * its JSON form accepted too and, in converting mode, replaced by that value where it lies.
 */
export function emitMarker(compiler: Compiler, marker: string, schema: SchemaObject, c: Ctx): void {
  const { scope, value } = c
  const { hoisted } = compiler
  const wrong = message(c.path, `expected ${marker}`)
  const convert = c.convert && c.slot
  switch (marker) {
    case 'Date':
      hoisted.use('isDate')
      if (convert) {
        // isDate also refuses an invalid Date instance (the rich encoding carries those).
        scope.emit(`if (!isDate(${value})) return ${wrong}`)
        scope.emit(`if (!(${value} instanceof Date)) ${slotOf(c.slot!)} = ${value} = new Date(${value})`)
      }
      else {
        scope.emit(`if (!isDate(${value})) return ${wrong}`)
      }
      return
    case 'bigint':
      hoisted.use('isBig')
      if (convert) {
        scope.emit(`if (typeof ${value} !== "bigint") {`)
        scope.emit(`if (!isBig(${value})) return ${wrong}`)
        scope.emit(`${slotOf(c.slot!)} = ${value} = BigInt(${value})`)
        scope.emit('}')
      }
      else {
        scope.emit(`if (typeof ${value} !== "bigint" && !isBig(${value})) return ${wrong}`)
      }
      return
    case 'URL':
      hoisted.use('isUrl')
      if (convert) {
        scope.emit(`if (!(${value} instanceof URL)) {`)
        scope.emit(`if (!isUrl(${value})) return ${wrong}`)
        scope.emit(`${slotOf(c.slot!)} = ${value} = new URL(${value})`)
        scope.emit('}')
      }
      else {
        scope.emit(`if (!(${value} instanceof URL) && !isUrl(${value})) return ${wrong}`)
      }
      return
    case 'undefined':
      scope.emit(`if (${value} !== undefined) return ${wrong}`)
      return
    case 'File':
    case 'Blob':
    case 'Uint8Array':
    case 'ReadableStream':
    case 'FormData':
      // Bytes have no JSON form: they arrive as multipart parts, which the service makes into these (runtime/server/form.ts).
      scope.emit(`if (!(${value} instanceof ${marker})) return ${wrong}`)
      return
    case 'Map':
    case 'Set':
      emitCollection(compiler, marker, schema.items === undefined ? true : schema.items as JsonSchema, c)
      return
    default:
      throw new Error(`cannot compile a validator: unknown x-femto-type ${JSON.stringify(marker)}`)
  }
}

/**
 * A real Map/Set has its entries/items checked where they are (paths use the iteration index:
 * `$.m[0][1]` is the value of the first entry). Its JSON form, an array of entries or items,
 * is checked as an array and then replaced by a Map/Set. A real one whose contents need
 * converting is copied to an array first, converted there and rebuilt, as Map keys and Set
 * items cannot be replaced in place without reordering them. `uniqueItems` is not checked: a
 * list with repeats becomes a Set without them, as `new Set` makes it (and elsewhere, TypeScript
 * types do not produce it).
 */
function emitCollection(compiler: Compiler, kind: 'Map' | 'Set', items: JsonSchema, c: Ctx): void {
  if (kind === 'Map' && !(isSchemaObject(items) && items.type === 'array'))
    items = MAP_ENTRY
  const { scope, value } = c
  const wrong = message(c.path, `expected ${kind}`)
  const convert = c.convert && c.slot !== undefined
  if (convert && compiler.defs.mayConvert(items)) {
    scope.emit(`if (${value} instanceof ${kind}) ${value} = Array.from(${value})`)
    scope.emit(`else if (!Array.isArray(${value})) return ${wrong}`)
    emitItems(compiler, items, c, value, 0, 0)
    scope.emit(`${slotOf(c.slot!)} = ${value} = new ${kind}(${value})`)
    return
  }
  if (acceptsAnything(items)) {
    scope.emit(`if (!(${value} instanceof ${kind})) {`)
  }
  else {
    const index = scope.local('i')
    const entry = scope.local('e')
    scope.emit(`if (${value} instanceof ${kind}) {`)
    scope.emit(`var ${index} = 0`)
    scope.emit(`for (var ${entry} of ${value}) {`)
    compiler.emitValue(items, { scope, value: entry, slot: undefined, path: [...c.path, '[', { js: index }, ']'], convert: false }, 'any')
    scope.emit(`${index}++`)
    scope.emit('}')
    scope.emit('}')
    scope.emit('else {')
  }
  scope.emit(`if (!Array.isArray(${value})) return ${wrong}`)
  emitItems(compiler, items, c, value, 0, 0)
  if (convert)
    scope.emit(`${slotOf(c.slot!)} = ${value} = new ${kind}(${value})`)
  scope.emit('}')
}
