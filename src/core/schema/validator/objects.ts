import type { JsonSchema } from '../types'
import type { Test } from './conditions'
import type { Compiler, Ctx } from './context'
import type { SchemaObject } from './schema-queries'
import { and, atom, equals, not, or, render } from './conditions'
import { MAX_COMPARISONS } from './limits'
import { message, propertyPath } from './messages'
import { isInheritedKey, plainRead } from './property-access'
import { acceptsAnything, has, isSchemaObject } from './schema-queries'

/** Objects and records: declared properties, then the keys nobody declared. */
export function emitObject(compiler: Compiler, schema: SchemaObject, c: Ctx): void {
  const properties = isSchemaObject(schema.properties) ? schema.properties as Record<string, JsonSchema> : {}
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter(name => typeof name === 'string') : [])
  // Constants first: they are cheap, and they reject the wrong branches of a union soonest.
  const entries = Object.entries(properties)
  const constant = ([, property]: [string, JsonSchema]): boolean => isSchemaObject(property) && (has(property, 'const') || has(property, 'enum'))
  for (const [name, property] of [...entries.filter(constant), ...entries.filter(e => !constant(e))])
    compiler.emitValue(property, propertyCtx(c, name), required.has(name) ? 'required' : 'optional')
  for (const name of required) {
    if (!Object.hasOwn(properties, name))
      compiler.emitValue(true, propertyCtx(c, name), 'required')
  }
  emitKeysLoop(compiler, schema, c, Object.keys(properties))
}

function propertyCtx(c: Ctx, name: string): Ctx {
  const key = JSON.stringify(name)
  const path = [...c.path, propertyPath(name)]
  const slot = c.convert ? { owner: c.value, key } : undefined
  if (!isInheritedKey(name))
    return { ...c, value: plainRead(c.value, name), slot, path }
  const value = c.scope.local('v')
  c.scope.emit(`var ${value} = Object.hasOwn(${c.value}, ${key}) ? ${c.value}[${key}] : undefined`)
  return { ...c, value, slot, path }
}

/**
 * `for…in` over a plain object lists its own keys (an own `__proto__` from JSON.parse too)
 * without allocating; an enumerable key inherited from a polluted prototype would be listed as
 * well, and then rejected, which is the safe way round.
 */
function emitKeysLoop(compiler: Compiler, schema: SchemaObject, c: Ctx, declared: string[]): void {
  const additional = schema.additionalProperties as JsonSchema | undefined
  const checksAdditional = additional !== undefined && !acceptsAnything(additional)
  const key = c.scope.local('k')
  const nameTest = schema.propertyNames === undefined ? true : propertyNameTest(compiler, schema.propertyNames as JsonSchema, key)
  if (!checksAdditional && nameTest === true)
    return
  const { scope } = c
  const path = [...c.path, { js: `pk(${key})` }]
  compiler.hoisted.use('pk')
  scope.emit(`for (var ${key} in ${c.value}) {`)
  // An undeclared `__proto__` key (JSON.parse makes it an own property) would reach user code that copies the object.
  if (!declared.includes('__proto__'))
    scope.emit(`if (${key} === "__proto__") return ${message(path, 'unexpected property')}`)
  if (nameTest !== true)
    scope.emit(`if (${render(not(nameTest))}) return ${message(path, 'unexpected property')}`)
  if (checksAdditional) {
    const extra = not(oneOfStrings(compiler, declared, key))
    const value = `${c.value}[${key}]`
    if (additional === false) {
      scope.emit(`if (${render(and([extra, atom(`${value} !== undefined`, `${value} === undefined`)]))}) return ${message(path, 'unexpected property')}`)
    }
    else if (extra === true) {
      compiler.emitValue(additional, { ...c, value, slot: c.convert ? { owner: c.value, key } : undefined, path }, 'optional')
    }
    else {
      scope.emit(`if (${render(extra)}) {`)
      compiler.emitValue(additional, { ...c, value, slot: c.convert ? { owner: c.value, key } : undefined, path }, 'optional')
      scope.emit('}')
    }
  }
  scope.emit('}')
}

/**
 * Only what compiles to one condition (`enum`, `const`…) is checked about names. A `pattern`
 * (from a template literal type) is not: derived patterns such as `^.*-.*$` backtrack
 * polynomially on a long key a caller chooses, and a request must not be able to stall a service.
 */
function propertyNameTest(compiler: Compiler, names: JsonSchema, key: string): Test {
  return compiler.conditions.simpleOf(names, key) ?? true
}

function oneOfStrings(compiler: Compiler, names: string[], key: string): Test {
  if (names.length > MAX_COMPARISONS) {
    const set = compiler.hoisted.constant('K', `new Set(${JSON.stringify(names)})`)
    return atom(`${set}.has(${key})`, `!${set}.has(${key})`)
  }
  return or(names.map(name => equals(key, JSON.stringify(name))))
}
