import type { FunctionSchema, JsonSchema, ParamSchema } from '../types'
import type { Test } from './conditions'
import type { Compiler, Ctx, Presence } from './context'
import type { SchemaObject } from './schema-queries'
import { emitArray, emitRest } from './arrays'
import { and, atom, not, or, render } from './conditions'
import { Definitions } from './definitions'
import { describe, describeType, describeValues } from './describe'
import { Hoisted } from './hoisted'
import { MAX_CALLS } from './limits'
import { message, propertyPath } from './messages'
import { emitObject } from './objects'
import { emitRef } from './references'
import { emitMarker } from './rich-types'
import { allowedValues, hasArrayKeywords, hasObjectKeywords } from './schema-queries'
import { isIdentifier, Scope } from './scope'
import { emitUnion } from './unions'
import { ValueConditions } from './value-conditions'

/**
 * One function's validator: the entry function over `args`, and the dispatch from a schema to
 * the module that emits each kind of keyword. Those modules call back here for nested values.
 */
export class ValidatorCompiler implements Compiler {
  readonly defs: Definitions
  readonly hoisted = new Hoisted()
  readonly conditions: ValueConditions

  constructor(defs: FunctionSchema['defs']) {
    this.defs = new Definitions(defs)
    this.conditions = new ValueConditions(this.defs, this.hoisted)
  }

  compile(params: ParamSchema[]): string {
    const scope = new Scope('0')
    params.forEach((param, index) => {
      const path = [`$${propertyPath(param.name)}`]
      if (param.rest)
        emitRest(this, param.schema, index, path, scope)
      else
        this.emitValue(param.schema, { scope, value: `args[${index}]`, slot: { owner: 'args', key: String(index) }, path, convert: true }, param.optional ? 'optional' : 'any')
    })
    let entry = `function (args) {\n${scope.body()}${scope.lines.length ? '\n' : ''}}`
    if (this.hoisted.budgeted) {
      // Once the budget is spent, every branch fails: say why rather than what the last one expected.
      this.hoisted.functions.push(`var budget = 0\nvar check = ${entry}`)
      entry = `function (args) {\nbudget = ${MAX_CALLS}\nvar e = check(args)\nreturn e !== undefined && budget < 0 ? "$: too many nested values" : e\n}`
    }
    const hoisted = this.hoisted.declarations()
    if (hoisted.length === 0)
      return `(${entry})`
    return `(function () {\n${hoisted.join('\n')}\nreturn ${entry}\n})()`
  }

  emitValue(schema: JsonSchema, c: Ctx, presence: Presence): void {
    const { scope } = c
    const test = c.convert && this.defs.mayConvert(schema) ? undefined : this.conditions.simpleOf(schema, c.value)
    if (test !== undefined) {
      this.emitSimple(schema, test, c, presence)
      return
    }
    const value = isIdentifier(c.value) ? c.value : scope.local('v')
    if (value !== c.value)
      scope.emit(`var ${value} = ${c.value}`)
    const inner = { ...c, value }
    if (presence === 'required')
      scope.emit(`if (${value} === undefined) return ${message(c.path, 'required')}`)
    if (presence === 'optional') {
      scope.emit(`if (${value} !== undefined) {`)
      this.emitNode(schema, inner)
      scope.emit('}')
      return
    }
    this.emitNode(schema, inner)
  }

  /** One condition and one message: the common case, and the fastest. */
  emitSimple(schema: JsonSchema, test: Test, c: Ctx, presence: Presence): void {
    const { scope, value, path } = c
    const missing = message(path, 'required')
    if (test === true) {
      if (presence === 'required')
        scope.emit(`if (${value} === undefined) return ${missing}`)
      return
    }
    const wrong = message(path, schema === false ? 'unexpected value' : `expected ${describe(this, schema)}`)
    if (presence === 'optional')
      scope.emit(`if (${render(and([atom(`${value} !== undefined`, `${value} === undefined`), not(test)]))}) return ${wrong}`)
    else if (presence === 'required' && !this.defs.acceptsUndefined(schema))
      scope.emit(`if (${render(not(test))}) return ${value} === undefined ? ${missing} : ${wrong}`)
    else if (presence === 'required')
      scope.emit(`if (${render(or([atom(`${value} === undefined`, `${value} !== undefined`), not(test)]))}) return ${value} === undefined ? ${missing} : ${wrong}`)
    else
      scope.emit(`if (${render(not(test))}) return ${wrong}`)
  }

  emitNode(schema: JsonSchema, c: Ctx): void {
    if (schema === true)
      return
    if (schema === false) {
      c.scope.emit(`return ${message(c.path, 'unexpected value')}`)
      return
    }
    if (!(c.convert && this.defs.mayConvert(schema))) {
      const test = this.conditions.simpleOf(schema, c.value)
      if (test !== undefined) {
        this.emitSimple(schema, test, c, 'any')
        return
      }
    }
    const marker = schema['x-femto-type']
    if (marker !== undefined) {
      emitMarker(this, String(marker), schema, c)
      return
    }
    if (typeof schema.$ref === 'string')
      emitRef(this, schema.$ref, c)
    this.emitTypeAndValues(schema, c)
    if (hasObjectKeywords(schema))
      this.guarded(schema, 'object', c, () => emitObject(this, schema, c))
    if (hasArrayKeywords(schema))
      this.guarded(schema, 'array', c, () => emitArray(this, schema, c, 0))
    for (const keyword of ['anyOf', 'oneOf']) {
      if (Array.isArray(schema[keyword]))
        emitUnion(this, schema[keyword] as JsonSchema[], c)
    }
    if (Array.isArray(schema.allOf)) {
      for (const part of schema.allOf as JsonSchema[])
        this.emitNode(part, c)
    }
  }

  private emitTypeAndValues(schema: SchemaObject, c: Ctx): void {
    const values = allowedValues(schema)
    const test = values ? this.conditions.valuesTest(values, c.value) : schema.type !== undefined ? this.conditions.typeTest(schema.type, c.value) : true
    if (test !== true)
      c.scope.emit(`if (${render(not(test))}) return ${message(c.path, `expected ${values ? describeValues(values) : describeType(schema.type)}`)}`)
  }

  /** Object (or array) keywords apply only to values of that type, as in JSON Schema. */
  private guarded(schema: SchemaObject, type: 'object' | 'array', c: Ctx, emit: () => void): void {
    if (schema.type === type) {
      emit()
      return
    }
    c.scope.emit(`if (${render(this.conditions.typeTest(type, c.value))}) {`)
    emit()
    c.scope.emit('}')
  }
}
