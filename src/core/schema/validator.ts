import type { FunctionSchema, JsonSchema, ParamSchema } from './types'

/**
 * Compiles the argument schemas of a function into the source of a validator that each service
 * embeds: `function (args) { ... }`, returning `undefined` for valid arguments, otherwise the
 * first error, e.g. `$.lines[0].qty: expected number`.
 *
 * The output is straight-line code with no dependencies: every keyword is decided at build time,
 * regexes, sets and helpers are hoisted into an enclosing IIFE, and a call allocates nothing
 * unless it converts a value. Every string that comes from a schema (property names, constants,
 * patterns, messages) reaches the code through `JSON.stringify`, so no schema can inject code.
 *
 * Values of the `x-femto-type` table (types.ts) are checked as the JavaScript values the rich
 * encoding decodes to; their JSON forms (an ISO string for a Date, a list of entries for a Map…)
 * are accepted too and converted in place, in the array or object that holds them, so the
 * function always receives the declared type.
 *
 * Unions (`anyOf`, and `oneOf` alike) try their branches in order and the first match wins. A
 * branch that would convert is first tried by a check that writes nothing (every schema compiles
 * to such a check); only the branch that matched then runs again in converting mode. A failed
 * branch therefore never leaves half-converted values behind, at the price of checking the
 * matching branch twice. When no other branch accepts the same kinds of values (`Date | null`,
 * `Node | null`: the common case) that price is not paid: the branch converts straight away, as
 * its failure is the union's failure, and the function is never called with what it left.
 */
export function compileValidator(schema: FunctionSchema): string {
  return new ValidatorCompiler(schema.defs).compile(schema.params)
}

/** Recursion through named types (and cyclic data from the rich encoding) stops here with an error, not a stack overflow. */
export const MAX_DEPTH = 100
/** More items than a 1 MiB body can hold densely: a longer array is a sparse one meant to stall the check. */
export const MAX_ITEMS = 1_000_000

/**
 * Calls of recursive named types one validation may make. A union of overlapping branches that
 * each recurse takes time exponential in the depth of the data; this bounds it (to a few tens of
 * milliseconds) while leaving room for the largest body a service accepts by default.
 */
export const MAX_CALLS = 1_000_000

type SchemaObject = Record<string, unknown>

/** A location in the arguments: static text, or a JavaScript expression evaluated only when reporting. */
type PathPart = string | { js: string }

interface Slot {
  /** The variable holding the array or object the value is in. */
  owner: string
  /** The key's JavaScript expression. */
  key: string
}

interface Ctx {
  scope: Scope
  /** An expression for the value that is cheap to read again: a variable, `x.name`, `x[i]`. */
  value: string
  /** Where a conversion writes its result; set in converting mode only. */
  slot: Slot | undefined
  /** Relative to the function being generated: helpers start with an empty path. */
  path: PathPart[]
  convert: boolean
}

/** Whether the value at a location may be missing (`undefined` counts as missing). */
type Presence = 'any' | 'required' | 'optional'

/** A boolean condition on a value, kept as a tree so that it can be negated readably. */
type Test = boolean | { pos: string, neg: string } | { or: Test[] } | { and: Test[] }

/** The variables of one generated function. */
class Scope {
  lines: string[] = []
  usesError = false
  private counters = new Map<string, number>()

  /** `depth` is the expression for the nesting depth of named types here: `0` in the entry function. */
  constructor(readonly depth: string) {}

  local(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1
    this.counters.set(prefix, n)
    return `${prefix}${n}`
  }

  emit(line: string): void {
    this.lines.push(line)
  }

  body(): string {
    return [...(this.usesError ? ['var e'] : []), ...this.lines].join('\n')
  }

  deeper(): string {
    return this.depth === '0' ? '1' : `${this.depth} + 1`
  }
}

type Kind = 'string' | 'number' | 'bigint' | 'boolean' | 'null' | 'undefined' | 'object' | 'array' | 'Date' | 'Map' | 'Set' | 'URL'

const ALL_KINDS: Kind[] = ['string', 'number', 'bigint', 'boolean', 'null', 'undefined', 'object', 'array', 'Date', 'Map', 'Set', 'URL']

const MARKER_KINDS: Record<string, Kind[]> = {
  Date: ['Date', 'string'],
  bigint: ['bigint', 'string', 'number'],
  URL: ['URL', 'string'],
  Map: ['Map', 'array'],
  Set: ['Set', 'array'],
  undefined: ['undefined'],
}

const MAP_ENTRY: JsonSchema = { type: 'array', minItems: 2, maxItems: 2 }
const CONVERTED_TYPES = new Set(['Date', 'bigint', 'URL', 'Map', 'Set'])
const OBJECT_KEYWORDS = ['properties', 'required', 'additionalProperties', 'propertyNames']
const ARRAY_KEYWORDS = ['items', 'prefixItems', 'minItems', 'maxItems']
/** Inherited by every plain object, so reading them needs an own-property check. */
const INHERITED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype))
const IDENTIFIER = /^[A-Z_$][\w$]*$/i
/** Beyond this many values a `Set` lookup beats a chain of comparisons. */
const MAX_COMPARISONS = 8

/**
 * Declared once at the top of a validator that uses them. `ISO`: a date-time as RFC 3339 writes
 * it (with its offset, or the server's time zone would decide), or a plain date; `Date.parse`
 * alone accepts far more, and rolls 02-30 into March, hence the day check.
 */
const HELPERS: Record<string, { code: string, uses?: string[] }> = {
  isPlain: { code: 'function isPlain(v) {\nvar p = Object.getPrototypeOf(v)\nreturn p === Object.prototype || p === null\n}' },
  ID: { code: 'var ID = /^[A-Z_$][\\w$]*$/i' },
  pk: { code: 'function pk(k) {\nreturn ID.test(k) ? "." + k : "[" + JSON.stringify(k) + "]"\n}', uses: ['ID'] },
  ISO: { code: 'var ISO = /^(\\d{4})-(\\d{2})-(\\d{2})(?:T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:\\d{2}))?$/' },
  isDate: { code: 'function isDate(v) {\nif (v instanceof Date) return !isNaN(v.getTime())\nvar m = typeof v === "string" && ISO.exec(v)\nif (!m || isNaN(Date.parse(v))) return false\nvar y = +m[1], mo = +m[2]\nreturn +m[3] <= (mo === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31)\n}', uses: ['ISO'] },
  INT: { code: 'var INT = /^-?\\d+$/' },
  // Capped: BigInt() of a megabyte of digits takes a quarter of a second.
  isBig: { code: 'function isBig(v) {\nreturn typeof v === "string" ? v.length <= 4096 && INT.test(v) : Number.isSafeInteger(v)\n}', uses: ['INT'] },
  isUrl: { code: 'function isUrl(v) {\nreturn typeof v === "string" && URL.canParse(v)\n}' },
  eq: { code: 'function eq(a, b) {\nif (a === b) return true\nif (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false\nvar ka = Object.keys(a), kb = Object.keys(b)\nif (ka.length !== kb.length) return false\nfor (var i = 0; i < ka.length; i++) if (!Object.hasOwn(b, ka[i]) || !eq(a[ka[i]], b[ka[i]])) return false\nreturn true\n}' },
}

class ValidatorCompiler {
  private helpers = new Set<string>()
  private constants: string[] = []
  private functions: string[] = []
  private names = new Map<unknown, string>()
  private counter = 0
  private convertMemo = new Map<JsonSchema, boolean>()
  /** Above zero while a schema is only being looked at: nothing gets hoisted. */
  private dry = 0
  private ids = new Map<object, number>()
  private budgeted = false

  constructor(private defs: Record<string, JsonSchema>) {}

  compile(params: ParamSchema[]): string {
    const scope = new Scope('0')
    params.forEach((param, index) => {
      const path = [`$${propertyPath(param.name)}`]
      if (param.rest)
        this.emitRest(param.schema, index, path, scope)
      else
        this.emitValue(param.schema, { scope, value: `args[${index}]`, slot: { owner: 'args', key: String(index) }, path, convert: true }, param.optional ? 'optional' : 'any')
    })
    let entry = `function (args) {\n${scope.body()}${scope.lines.length ? '\n' : ''}}`
    if (this.budgeted) {
      // Once the budget is spent, every branch fails: say why rather than what the last one expected.
      this.functions.push(`var budget = 0\nvar check = ${entry}`)
      entry = `function (args) {\nbudget = ${MAX_CALLS}\nvar e = check(args)\nreturn e !== undefined && budget < 0 ? "$: too many nested values" : e\n}`
    }
    const hoisted = [...this.orderedHelpers(), ...this.constants, ...this.functions]
    if (hoisted.length === 0)
      return `(${entry})`
    return `(function () {\n${hoisted.join('\n')}\nreturn ${entry}\n})()`
  }

  // ---- values and nodes -------------------------------------------------------------------

  /** Checks the value at `c.value`, whichever expression it is; `presence` says whether it may be missing. */
  private emitValue(schema: JsonSchema, c: Ctx, presence: Presence): void {
    const { scope } = c
    const test = c.convert && this.mayConvert(schema) ? undefined : this.simpleOf(schema, c.value)
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
  private emitSimple(schema: JsonSchema, test: Test, c: Ctx, presence: Presence): void {
    const { scope, value, path } = c
    const missing = message(path, 'required')
    if (test === true) {
      if (presence === 'required')
        scope.emit(`if (${value} === undefined) return ${missing}`)
      return
    }
    const wrong = message(path, schema === false ? 'unexpected value' : `expected ${this.describe(schema)}`)
    if (presence === 'optional')
      scope.emit(`if (${render(and([atom(`${value} !== undefined`, `${value} === undefined`), not(test)]))}) return ${wrong}`)
    else if (presence === 'required' && !this.acceptsUndefined(schema))
      scope.emit(`if (${render(not(test))}) return ${value} === undefined ? ${missing} : ${wrong}`)
    else if (presence === 'required')
      scope.emit(`if (${render(or([atom(`${value} === undefined`, `${value} !== undefined`), not(test)]))}) return ${value} === undefined ? ${missing} : ${wrong}`)
    else
      scope.emit(`if (${render(not(test))}) return ${wrong}`)
  }

  /** Checks `c.value`, a variable, against every keyword of `schema`. */
  private emitNode(schema: JsonSchema, c: Ctx): void {
    if (schema === true)
      return
    if (schema === false) {
      this.fail(c, 'unexpected value')
      return
    }
    if (!(c.convert && this.mayConvert(schema))) {
      const test = this.simpleOf(schema, c.value)
      if (test !== undefined) {
        this.emitSimple(schema, test, c, 'any')
        return
      }
    }
    const marker = schema['x-femto-type']
    if (marker !== undefined) {
      this.emitMarker(String(marker), schema, c)
      return
    }
    if (typeof schema.$ref === 'string')
      this.emitRef(schema.$ref, c)
    this.emitTypeAndValues(schema, c)
    if (OBJECT_KEYWORDS.some(k => has(schema, k)))
      this.guarded(schema, 'object', c, () => this.emitObject(schema, c))
    if (ARRAY_KEYWORDS.some(k => has(schema, k)))
      this.guarded(schema, 'array', c, () => this.emitArray(schema, c, 0))
    for (const keyword of ['anyOf', 'oneOf']) {
      if (Array.isArray(schema[keyword]))
        this.emitUnion(schema[keyword] as JsonSchema[], c)
    }
    if (Array.isArray(schema.allOf)) {
      for (const part of schema.allOf as JsonSchema[])
        this.emitNode(part, c)
    }
  }

  private fail(c: Ctx, text: string): void {
    c.scope.emit(`return ${message(c.path, text)}`)
  }

  private emitTypeAndValues(schema: SchemaObject, c: Ctx): void {
    const values = this.allowedValues(schema)
    const test = values ? this.valuesTest(values, c.value) : schema.type !== undefined ? typeTest(schema.type, c.value, this) : true
    if (test !== true)
      c.scope.emit(`if (${render(not(test))}) return ${message(c.path, `expected ${values ? describeValues(values) : describeType(schema.type)}`)}`)
  }

  /** Object (or array) keywords apply only to values of that type, as in JSON Schema. */
  private guarded(schema: SchemaObject, type: 'object' | 'array', c: Ctx, emit: () => void): void {
    if (schema.type === type) {
      emit()
      return
    }
    c.scope.emit(`if (${render(typeTest(type, c.value, this))}) {`)
    emit()
    c.scope.emit('}')
  }

  // ---- $ref ---------------------------------------------------------------------------------

  private emitRef(ref: string, c: Ctx): void {
    const name = this.defName(ref)
    const def = this.defs[name]!
    const { scope } = c
    const converting = c.convert && this.mayConvert(def)
    if (!converting) {
      const test = this.simpleOf(def, c.value)
      if (test !== undefined) {
        this.emitSimple(def, test, c, 'any')
        return
      }
    }
    scope.usesError = true
    const call = converting
      ? `${this.defFunction(name, true)}(${c.value}, ${c.slot!.owner}, ${c.slot!.key}, ${scope.deeper()})`
      : `${this.defFunction(name, false)}(${c.value}, ${scope.deeper()})`
    scope.emit(`if ((e = ${call}) !== undefined) return ${prefixed(c.path, 'e')}`)
    if (converting && this.mayConvertRoot(def))
      scope.emit(`${c.value} = ${slotOf(c.slot!)}`)
  }

  /** Each named type is a function, so recursive types work; it returns errors relative to its value. */
  private defFunction(name: string, convert: boolean): string {
    const key = `${convert ? 'x' : 'c'}:${name}`
    const known = this.names.get(key)
    if (known)
      return known
    const fn = this.name(convert ? 'x' : 'c')
    this.names.set(key, fn)
    const scope = new Scope('d')
    if (this.isRecursive(name)) {
      this.budgeted = true
      scope.emit(`if (d > ${MAX_DEPTH}) return ": too deeply nested"`)
      scope.emit('if (--budget < 0) return ": too many nested values"')
    }
    this.emitNode(this.defs[name]!, { scope, value: 'v', slot: convert ? { owner: 'o', key: 'k' } : undefined, path: [], convert })
    this.functions.push(`function ${fn}(${convert ? 'v, o, k, d' : 'v, d'}) {\n${scope.body()}\n}`)
    return fn
  }

  private defName(ref: string): string {
    const match = /^#\/\$defs\/(.+)$/.exec(ref)
    const name = match && decodeURIComponent(match[1]!).replaceAll('~1', '/').replaceAll('~0', '~')
    if (!name || !Object.hasOwn(this.defs, name))
      throw new Error(`cannot compile a validator: $ref ${JSON.stringify(ref)} is not one of #/$defs/${Object.keys(this.defs).join(', #/$defs/') || ' (none)'}`)
    return name
  }

  // ---- x-femto-type ---------------------------------------------------------------------------

  private emitMarker(marker: string, schema: SchemaObject, c: Ctx): void {
    const { scope, value } = c
    const wrong = message(c.path, `expected ${marker}`)
    const convert = c.convert && c.slot
    switch (marker) {
      case 'Date':
        this.use('isDate')
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
        this.use('isBig')
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
        this.use('isUrl')
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
      case 'Map':
      case 'Set':
        this.emitCollection(marker, schema.items === undefined ? true : schema.items as JsonSchema, c)
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
  private emitCollection(kind: 'Map' | 'Set', items: JsonSchema, c: Ctx): void {
    // `new Map` throws on an entry that is not an object: entries are pairs, whatever the schema says.
    if (kind === 'Map' && !(isSchemaObject(items) && items.type === 'array'))
      items = MAP_ENTRY
    const { scope, value } = c
    const wrong = message(c.path, `expected ${kind}`)
    const convert = c.convert && c.slot !== undefined
    if (convert && this.mayConvert(items)) {
      scope.emit(`if (${value} instanceof ${kind}) ${value} = Array.from(${value})`)
      scope.emit(`else if (!Array.isArray(${value})) return ${wrong}`)
      this.emitItems(items, c, value, 0, 0)
      scope.emit(`${slotOf(c.slot!)} = ${value} = new ${kind}(${value})`)
      return
    }
    if (this.acceptsAnything(items)) {
      scope.emit(`if (!(${value} instanceof ${kind})) {`)
    }
    else {
      const index = scope.local('i')
      const entry = scope.local('e')
      scope.emit(`if (${value} instanceof ${kind}) {`)
      scope.emit(`var ${index} = 0`)
      scope.emit(`for (var ${entry} of ${value}) {`)
      this.emitValue(items, { scope, value: entry, slot: undefined, path: [...c.path, '[', { js: index }, ']'], convert: false }, 'any')
      scope.emit(`${index}++`)
      scope.emit('}')
      scope.emit('}')
      scope.emit('else {')
    }
    scope.emit(`if (!Array.isArray(${value})) return ${wrong}`)
    this.emitItems(items, c, value, 0, 0)
    if (convert)
      scope.emit(`${slotOf(c.slot!)} = ${value} = new ${kind}(${value})`)
    scope.emit('}')
  }

  // ---- objects --------------------------------------------------------------------------------

  private emitObject(schema: SchemaObject, c: Ctx): void {
    const properties = isSchemaObject(schema.properties) ? schema.properties as Record<string, JsonSchema> : {}
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter(name => typeof name === 'string') : [])
    // Constants first: they are cheap, and they reject the wrong branches of a union soonest.
    const entries = Object.entries(properties)
    const constant = ([, property]: [string, JsonSchema]): boolean => isSchemaObject(property) && (has(property, 'const') || has(property, 'enum'))
    for (const [name, property] of [...entries.filter(constant), ...entries.filter(e => !constant(e))])
      this.emitValue(property, this.propertyCtx(c, name), required.has(name) ? 'required' : 'optional')
    for (const name of required) {
      if (!Object.hasOwn(properties, name))
        this.emitValue(true, this.propertyCtx(c, name), 'required')
    }
    this.emitKeysLoop(schema, c, Object.keys(properties))
  }

  private propertyCtx(c: Ctx, name: string): Ctx {
    const key = JSON.stringify(name)
    const path = [...c.path, propertyPath(name)]
    const slot = c.convert ? { owner: c.value, key } : undefined
    if (!INHERITED_KEYS.has(name))
      return { ...c, value: IDENTIFIER.test(name) ? `${c.value}.${name}` : `${c.value}[${key}]`, slot, path }
    // `constructor`, `__proto__`, `toString`…: a plain read would find Object.prototype's.
    const value = c.scope.local('v')
    c.scope.emit(`var ${value} = Object.hasOwn(${c.value}, ${key}) ? ${c.value}[${key}] : undefined`)
    return { ...c, value, slot, path }
  }

  /**
   * `for…in` over a plain object lists its own keys (an own `__proto__` from JSON.parse too)
   * without allocating; an enumerable key inherited from a polluted prototype would be listed as
   * well, and then rejected, which is the safe way round.
   */
  private emitKeysLoop(schema: SchemaObject, c: Ctx, declared: string[]): void {
    const additional = schema.additionalProperties as JsonSchema | undefined
    const checksAdditional = additional !== undefined && !this.acceptsAnything(additional)
    const key = c.scope.local('k')
    const nameTest = schema.propertyNames === undefined ? true : this.propertyNameTest(schema.propertyNames as JsonSchema, key)
    if (!checksAdditional && nameTest === true)
      return
    const { scope } = c
    const path = [...c.path, { js: `pk(${key})` }]
    this.use('pk')
    scope.emit(`for (var ${key} in ${c.value}) {`)
    // An undeclared `__proto__` key (JSON.parse makes it an own property) would reach user code that copies the object.
    if (!declared.includes('__proto__'))
      scope.emit(`if (${key} === "__proto__") return ${message(path, 'unexpected property')}`)
    if (nameTest !== true)
      scope.emit(`if (${render(not(nameTest))}) return ${message(path, 'unexpected property')}`)
    if (checksAdditional) {
      const extra = not(this.oneOfStrings(declared, key))
      const value = `${c.value}[${key}]`
      if (additional === false) {
        scope.emit(`if (${render(and([extra, atom(`${value} !== undefined`, `${value} === undefined`)]))}) return ${message(path, 'unexpected property')}`)
      }
      else if (extra === true) {
        this.emitValue(additional, { ...c, value, slot: c.convert ? { owner: c.value, key } : undefined, path }, 'optional')
      }
      else {
        scope.emit(`if (${render(extra)}) {`)
        this.emitValue(additional, { ...c, value, slot: c.convert ? { owner: c.value, key } : undefined, path }, 'optional')
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
  private propertyNameTest(names: JsonSchema, key: string): Test {
    return this.simpleOf(names, key) ?? true
  }

  private oneOfStrings(names: string[], key: string): Test {
    if (names.length > MAX_COMPARISONS) {
      const set = this.constant('K', `new Set(${JSON.stringify(names)})`)
      return atom(`${set}.has(${key})`, `!${set}.has(${key})`)
    }
    return or(names.map(name => equals(key, JSON.stringify(name))))
  }

  // ---- arrays ---------------------------------------------------------------------------------

  /** `offset` > 0 checks the tail of `c.value` from there: how a rest parameter is checked in place. */
  private emitArray(schema: SchemaObject, c: Ctx, offset: number): void {
    const { scope, value: array } = c
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems as JsonSchema[] : []
    const items = schema.items as JsonSchema | undefined
    const min = typeof schema.minItems === 'number' ? schema.minItems : 0
    let max = typeof schema.maxItems === 'number' ? schema.maxItems : Infinity
    if (items === false)
      max = Math.min(max, prefix.length)
    if (max !== Infinity)
      scope.emit(`if (${array}.length > ${offset + max}) return ${message(c.path, `expected at most ${max} item${max === 1 ? '' : 's'}`)}`)
    if (min > 0)
      scope.emit(`if (${array}.length < ${offset + min}) return ${message(c.path, `expected at least ${min} item${min === 1 ? '' : 's'}`)}`)
    prefix.forEach((item, index) => {
      const at = offset + index
      // Past minItems an element may be absent, and an `undefined` one counts as absent.
      this.emitValue(item, { ...c, value: `${array}[${at}]`, slot: c.convert ? { owner: array, key: String(at) } : undefined, path: [...c.path, `[${index}]`] }, index < min ? 'any' : 'optional')
    })
    if (items !== undefined && items !== false)
      this.emitItems(items, c, array, offset, prefix.length)
  }

  private emitItems(items: JsonSchema, c: Ctx, array: string, offset: number, from: number): void {
    if (this.acceptsAnything(items))
      return
    const { scope } = c
    const index = scope.local('i')
    // The rich encoding can declare a sparse array of 2³²−1 holes in a few bytes: no loop over that.
    scope.emit(`if (${array}.length > ${MAX_ITEMS}) return ${message(c.path, `expected at most ${MAX_ITEMS} items`)}`)
    scope.emit(`for (var ${index} = ${offset + from}; ${index} < ${array}.length; ${index}++) {`)
    const shown = offset ? `(${index} - ${offset})` : index
    this.emitValue(items, { ...c, value: `${array}[${index}]`, slot: c.convert ? { owner: array, key: index } : undefined, path: [...c.path, '[', { js: shown }, ']'] }, 'any')
    scope.emit('}')
  }

  /**
   * A rest parameter's schema describes the array of the remaining arguments: checked in place in
   * `args`, so conversions land where the function reads them. A schema that is not a plain array
   * schema is checked on a copy, whose converted items are copied back.
   */
  private emitRest(schema: JsonSchema, index: number, path: PathPart[], scope: Scope): void {
    const resolved = this.resolveRoot(schema)
    if (this.acceptsAnything(resolved))
      return
    if (isSchemaObject(resolved) && resolved.type === 'array' && Object.keys(resolved).every(k => k === 'type' || ARRAY_KEYWORDS.includes(k) || !isValidationKeyword(k))) {
      this.emitArray(resolved, { scope, value: 'args', slot: undefined, path, convert: true }, index)
      return
    }
    const holder = scope.local('h')
    const rest = scope.local('v')
    scope.emit(`var ${holder} = [args.slice(${index})], ${rest} = ${holder}[0]`)
    this.emitNode(schema, { scope, value: rest, slot: { owner: holder, key: '0' }, path, convert: true })
    if (this.mayConvert(schema)) {
      const i = scope.local('i')
      scope.emit(`${rest} = ${holder}[0]`)
      scope.emit(`if (Array.isArray(${rest})) for (var ${i} = 0; ${i} < ${rest}.length; ${i}++) args[${index} + ${i}] = ${rest}[${i}]`)
    }
  }

  private resolveRoot(schema: JsonSchema): JsonSchema {
    const seen = new Set<string>()
    while (isSchemaObject(schema) && typeof schema.$ref === 'string' && Object.keys(schema).filter(isValidationKeyword).length === 1) {
      const name = this.defName(schema.$ref)
      if (seen.has(name))
        break
      seen.add(name)
      schema = this.defs[name]!
    }
    return schema
  }

  // ---- unions ---------------------------------------------------------------------------------

  private emitUnion(branches: JsonSchema[], c: Ctx): void {
    if (branches.length === 1) {
      this.emitNode(branches[0]!, c)
      return
    }
    const { scope } = c
    const converting = c.convert && branches.some(branch => this.mayConvert(branch))
    const kinds = branches.map(branch => this.kinds(branch))
    // When no other branch accepts values of the same kinds, a converting branch converts straight
    // away, once its gate (a condition every value it accepts meets) lets the value in: if it then
    // fails half-way, so does the whole union, and the function is never called. (No later branch
    // would do for correctness; no earlier one either keeps the message about the whole union.)
    const alone = branches.map((branch, i) => converting && this.mayConvert(branch) && kinds.every((other, j) => j === i || intersect(other, kinds[i]!).size === 0))
    const tests = branches.map((branch, i) => alone[i] ? { test: this.gate(branch, c.value, new Set()) } : this.branchTest(branch, c.value, scope))
    const captured = tests.map(t => t.error).filter(error => error !== undefined)
    if (captured.length)
      scope.emit(`var ${captured.join(', ')}`)
    const failure = this.unionFailure(branches, tests.map(t => t.error), c)
    if (!converting) {
      // Nothing converts, so order does not change the outcome: cheap conditions first.
      const ordered = [...tests.filter(t => !t.error), ...tests.filter(t => t.error)].map(t => t.test)
      scope.emit(`if (${render(not(or(ordered)))}) return ${failure}`)
      return
    }
    let keyword = 'if'
    let pending: Test[] = []
    const flush = (): void => {
      if (pending.length === 0)
        return
      scope.emit(`${keyword} (${render(or(pending))}) {}`)
      keyword = 'else if'
      pending = []
    }
    branches.forEach((branch, i) => {
      if (!this.mayConvert(branch)) {
        pending.push(tests[i]!.test)
        return
      }
      flush()
      scope.emit(`${keyword} (${render(tests[i]!.test)}) {`)
      this.emitNode(branch, c)
      scope.emit('}')
      keyword = 'else if'
    })
    flush()
    scope.emit(`else return ${failure}`)
  }

  /**
   * A branch as a condition that converts nothing: one expression, or a call of a check function
   * whose error is kept for the message. Computing it again there would be exponential in the
   * depth of a recursive union.
   */
  private branchTest(branch: JsonSchema, value: string, scope: Scope): { test: Test, error?: string } {
    const simple = this.simpleOf(branch, value)
    if (simple !== undefined)
      return { test: simple }
    const error = scope.local('e')
    const call = `(${error} = ${this.branchCall(branch, value, scope.depth)})`
    return { test: atom(`${call} === undefined`, `${call} !== undefined`), error }
  }

  private branchCall(branch: JsonSchema, value: string, depth: string): string {
    const deeper = depth === '0' ? '1' : `${depth} + 1`
    if (isSchemaObject(branch) && typeof branch.$ref === 'string' && Object.keys(branch).filter(isValidationKeyword).length === 1)
      return `${this.defFunction(this.defName(branch.$ref), false)}(${value}, ${deeper})`
    let fn = this.names.get(branch)
    if (!fn) {
      fn = this.name('b')
      this.names.set(branch, fn)
      const scope = new Scope('d')
      this.emitNode(branch, { scope, value: 'v', slot: undefined, path: [], convert: false })
      this.functions.push(`function ${fn}(v, d) {\n${scope.body()}\n}`)
    }
    return `${fn}(${value}, ${depth})`
  }

  /**
   * The message of a union no branch accepted: when exactly one of the branches that are more
   * than one condition is plausible (its type matches, its discriminating constants match), that
   * branch's own error, which points inside the value; otherwise `expected A | B`.
   */
  private unionFailure(branches: JsonSchema[], errors: (string | undefined)[], c: Ctx): string {
    const generic = `expected ${this.describeUnion(branches)}`
    const candidates = branches.map((branch, i) => ({ branch, error: errors[i] })).filter(b => b.error !== undefined)
    if (candidates.length === 0)
      return message(c.path, generic)
    const key = `u:${this.idOf(branches)}:${errors.map(e => (e ? 1 : 0)).join('')}`
    let fn = this.names.get(key)
    if (!fn) {
      fn = this.name('u')
      this.names.set(key, fn)
      const lines = ['var n = 0, e']
      candidates.forEach(({ branch }, i) => {
        const gate = this.gate(branch, 'v', new Set())
        if (gate !== false)
          lines.push(`if (${render(gate)}) n++, e = e${i + 1}`)
      })
      lines.push(`return n === 1 ? e : ${JSON.stringify(`: ${generic}`)}`)
      this.functions.push(`function ${fn}(v, ${candidates.map((_, i) => `e${i + 1}`).join(', ')}) {\n${lines.join('\n')}\n}`)
    }
    return prefixed(c.path, `${fn}(${c.value}, ${candidates.map(b => b.error).join(', ')})`)
  }

  private idOf(value: object): number {
    let id = this.ids.get(value)
    if (id === undefined)
      this.ids.set(value, id = this.ids.size + 1)
    return id
  }

  /**
   * A shallow condition telling whether a value was plausibly meant for this schema: its kind,
   * its discriminating constants. Every value the schema accepts meets it.
   */
  private gate(schema: JsonSchema, value: string, seen: Set<string>): Test {
    if (typeof schema === 'boolean')
      return schema
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return this.markerGate(String(marker), value)
    const parts: Test[] = []
    if (typeof schema.$ref === 'string') {
      const name = this.defName(schema.$ref)
      if (!seen.has(name))
        parts.push(this.gate(this.defs[name]!, value, new Set([...seen, name])))
    }
    const values = this.allowedValues(schema)
    if (values)
      parts.push(this.valuesTest(values, value))
    else if (schema.type !== undefined)
      parts.push(typeTest(schema.type === 'integer' ? 'number' : schema.type, value, this))
    if (schema.type === 'object') {
      for (const [name, constant] of discriminators(schema))
        parts.push(this.valuesTest([constant], this.ownRead(value, name)))
    }
    for (const keyword of ['anyOf', 'oneOf']) {
      if (Array.isArray(schema[keyword]))
        parts.push(or((schema[keyword] as JsonSchema[]).map(branch => this.gate(branch, value, seen))))
    }
    if (Array.isArray(schema.allOf))
      parts.push(...(schema.allOf as JsonSchema[]).map(part => this.gate(part, value, seen)))
    return and(parts)
  }

  /** The kinds of JavaScript values the schema may accept, JSON forms of `x-femto-type`s included. */
  private kinds(schema: JsonSchema, seen = new Set<string>()): Set<Kind> {
    if (typeof schema === 'boolean')
      return new Set(schema ? ALL_KINDS : [])
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return new Set(MARKER_KINDS[String(marker)] ?? ALL_KINDS)
    let kinds = new Set<Kind>(ALL_KINDS)
    if (typeof schema.$ref === 'string') {
      const name = this.defName(schema.$ref)
      if (!seen.has(name))
        kinds = intersect(kinds, this.kinds(this.defs[name]!, new Set([...seen, name])))
    }
    const values = this.allowedValues(schema)
    if (values)
      kinds = intersect(kinds, new Set(values.map(kindOfJson)))
    else if (schema.type !== undefined)
      kinds = intersect(kinds, new Set((Array.isArray(schema.type) ? schema.type : [schema.type]).map(kindOfType)))
    for (const keyword of ['anyOf', 'oneOf']) {
      if (Array.isArray(schema[keyword]))
        kinds = intersect(kinds, new Set((schema[keyword] as JsonSchema[]).flatMap(branch => [...this.kinds(branch, seen)])))
    }
    for (const part of Array.isArray(schema.allOf) ? schema.allOf as JsonSchema[] : [])
      kinds = intersect(kinds, this.kinds(part, seen))
    return kinds
  }

  private markerGate(marker: string, value: string): Test {
    const isString = typeOf(value, 'string')
    switch (marker) {
      case 'Date': return or([instanceOf(value, 'Date'), isString])
      case 'URL': return or([instanceOf(value, 'URL'), isString])
      case 'bigint': return or([typeOf(value, 'bigint'), isString, typeOf(value, 'number')])
      case 'Map': case 'Set': return or([instanceOf(value, marker), isArray(value)])
      default: return equals(value, 'undefined')
    }
  }

  /** Reads an own property of a plain object, in a condition. */
  private ownRead(value: string, name: string): string {
    const key = JSON.stringify(name)
    if (INHERITED_KEYS.has(name))
      return `(Object.hasOwn(${value}, ${key}) ? ${value}[${key}] : undefined)`
    return IDENTIFIER.test(name) ? `${value}.${name}` : `${value}[${key}]`
  }

  // ---- conditions -----------------------------------------------------------------------------

  /**
   * The schema as one condition that writes nothing, or `undefined` when it needs statements
   * (objects, arrays, Map/Set, calls). A scalar `x-femto-type` is a condition here: converting it
   * is a separate, statement form.
   */
  private simpleTest(schema: JsonSchema, value: string, seen = new Set<string>()): Test | undefined {
    if (typeof schema === 'boolean')
      return schema
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return this.markerTest(String(marker), value)
    if (OBJECT_KEYWORDS.some(k => has(schema, k)) || ARRAY_KEYWORDS.some(k => has(schema, k)))
      return undefined
    const parts: Test[] = []
    if (typeof schema.$ref === 'string') {
      const name = this.defName(schema.$ref)
      if (seen.has(name))
        return undefined
      const test = this.simpleTest(this.defs[name]!, value, new Set([...seen, name]))
      if (test === undefined)
        return undefined
      parts.push(test)
    }
    const values = this.allowedValues(schema)
    if (values)
      parts.push(this.valuesTest(values, value))
    else if (schema.type !== undefined)
      parts.push(typeTest(schema.type, value, this))
    for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
      if (!Array.isArray(schema[keyword]))
        continue
      const tests = (schema[keyword] as JsonSchema[]).map(branch => this.simpleTest(branch, value, seen))
      if (tests.includes(undefined))
        return undefined
      parts.push(keyword === 'allOf' ? and(tests as Test[]) : or(tests as Test[]))
    }
    return and(parts)
  }

  /** `simpleTest` that hoists nothing unless the whole schema is one condition. */
  private simpleOf(schema: JsonSchema, value: string): Test | undefined {
    return this.isSimple(schema) ? this.simpleTest(schema, value) : undefined
  }

  private isSimple(schema: JsonSchema): boolean {
    this.dry++
    try {
      return this.simpleTest(schema, 'v') !== undefined
    }
    finally {
      this.dry--
    }
  }

  private markerTest(marker: string, value: string): Test | undefined {
    switch (marker) {
      case 'Date':
        this.use('isDate')
        return call(`isDate(${value})`)
      case 'bigint':
        this.use('isBig')
        return or([typeOf(value, 'bigint'), call(`isBig(${value})`)])
      case 'URL':
        this.use('isUrl')
        return or([instanceOf(value, 'URL'), call(`isUrl(${value})`)])
      case 'undefined':
        return equals(value, 'undefined')
      case 'Map':
      case 'Set':
        return undefined
      default:
        throw new Error(`cannot compile a validator: unknown x-femto-type ${JSON.stringify(marker)}`)
    }
  }

  /** `const` or `enum`, less values the schema's `type` rules out. */
  private allowedValues(schema: SchemaObject): unknown[] | undefined {
    const values = has(schema, 'const') ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined
    if (!values || schema.type === undefined)
      return values
    const types = Array.isArray(schema.type) ? schema.type : [schema.type]
    return values.filter(v => types.some(type => jsonTypeMatches(v, type)))
  }

  private valuesTest(values: unknown[], value: string): Test {
    const primitive = values.every(v => v === null || typeof v !== 'object')
    if (primitive && values.length > MAX_COMPARISONS) {
      const set = this.constant('E', `new Set(${JSON.stringify(values)})`)
      return atom(`${set}.has(${value})`, `!${set}.has(${value})`)
    }
    return or(values.map((v) => {
      if (v === null || typeof v !== 'object')
        return equals(value, JSON.stringify(v))
      this.use('eq')
      // A JSON object written as a JavaScript literal would give `__proto__` its special meaning.
      const constant = this.constant('C', `JSON.parse(${JSON.stringify(JSON.stringify(v))})`)
      return call(`eq(${value}, ${constant})`)
    }))
  }

  // ---- what schemas say about themselves ------------------------------------------------------

  private describe(schema: JsonSchema, seen = new Set<string>()): string {
    if (typeof schema === 'boolean')
      return schema ? 'anything' : 'never'
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return String(marker)
    if (typeof schema.$ref === 'string') {
      const name = this.defName(schema.$ref)
      const def = this.defs[name]!
      return seen.has(name) || !this.isSimple(def) ? name : this.describe(def, new Set([...seen, name]))
    }
    const values = this.allowedValues(schema)
    if (values)
      return describeValues(values)
    const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
    if (Array.isArray(union))
      return this.describeUnion(union, seen)
    if (schema.type !== undefined)
      return schema.type === 'object' ? describeObject(schema) : describeType(schema.type)
    if (OBJECT_KEYWORDS.some(k => has(schema, k)))
      return describeObject(schema)
    if (ARRAY_KEYWORDS.some(k => has(schema, k)))
      return 'array'
    if (Array.isArray(schema.allOf) && schema.allOf.length > 0)
      return this.describe(schema.allOf[0] as JsonSchema, seen)
    return 'anything'
  }

  private describeUnion(branches: JsonSchema[], seen = new Set<string>()): string {
    return [...new Set(branches.flatMap(branch => this.describe(branch, seen).split(' | ')))].join(' | ')
  }

  /** Whether values of this schema may need converting (true for a Map/Set in any case). */
  private mayConvert(schema: JsonSchema): boolean {
    let known = this.convertMemo.get(schema)
    if (known === undefined) {
      known = this.reaches(schema, s => CONVERTED_TYPES.has(s['x-femto-type'] as string))
      this.convertMemo.set(schema, known)
    }
    return known
  }

  /** Whether converting may replace the value itself, not only values inside it. */
  private mayConvertRoot(schema: JsonSchema, seen = new Set<string>()): boolean {
    if (typeof schema === 'boolean')
      return false
    if (CONVERTED_TYPES.has(schema['x-femto-type'] as string))
      return true
    if (typeof schema.$ref === 'string') {
      const name = this.defName(schema.$ref)
      if (!seen.has(name) && this.mayConvertRoot(this.defs[name]!, new Set([...seen, name])))
        return true
    }
    return ['anyOf', 'oneOf', 'allOf'].some(k => Array.isArray(schema[k]) && (schema[k] as JsonSchema[]).some(b => this.mayConvertRoot(b, seen)))
  }

  private isRecursive(name: string): boolean {
    return this.reaches(this.defs[name]!, s => typeof s.$ref === 'string' && this.defName(s.$ref) === name)
  }

  /** Whether `found` holds for the schema or any schema it contains or references. */
  private reaches(schema: JsonSchema, found: (schema: SchemaObject) => boolean): boolean {
    const seen = new Set<string>()
    const visit = (s: JsonSchema): boolean => {
      if (typeof s === 'boolean')
        return false
      if (found(s))
        return true
      if (typeof s.$ref === 'string') {
        const name = this.defName(s.$ref)
        if (!seen.has(name)) {
          seen.add(name)
          if (visit(this.defs[name]!))
            return true
        }
      }
      return subschemas(s).some(visit)
    }
    return visit(schema)
  }

  private acceptsUndefined(schema: JsonSchema, seen = new Set<string>()): boolean {
    if (typeof schema === 'boolean')
      return schema
    const marker = schema['x-femto-type']
    if (marker !== undefined)
      return marker === 'undefined'
    if (has(schema, 'const') || has(schema, 'enum') || schema.type !== undefined)
      return false
    if (typeof schema.$ref === 'string') {
      const name = this.defName(schema.$ref)
      if (seen.has(name) || !this.acceptsUndefined(this.defs[name]!, new Set([...seen, name])))
        return false
    }
    const union = [schema.anyOf, schema.oneOf].filter(Array.isArray) as JsonSchema[][]
    if (union.some(branches => !branches.some(b => this.acceptsUndefined(b, seen))))
      return false
    return !Array.isArray(schema.allOf) || (schema.allOf as JsonSchema[]).every(b => this.acceptsUndefined(b, seen))
  }

  private acceptsAnything(schema: JsonSchema): boolean {
    return schema === true || (isSchemaObject(schema) && !Object.keys(schema).some(isValidationKeyword))
  }

  // ---- hoisted code ---------------------------------------------------------------------------

  use(helper: string): void {
    if (this.dry)
      return
    this.helpers.add(helper)
    for (const dependency of HELPERS[helper]!.uses ?? [])
      this.helpers.add(dependency)
  }

  private orderedHelpers(): string[] {
    return Object.keys(HELPERS).filter(name => this.helpers.has(name)).map(name => HELPERS[name]!.code)
  }

  private name(prefix: string): string {
    return `${prefix}${++this.counter}`
  }

  private constant(prefix: string, code: string): string {
    if (this.dry)
      return `${prefix}0`
    const key = `${prefix}:${code}`
    let name = this.names.get(key)
    if (!name) {
      name = this.name(prefix)
      this.names.set(key, name)
      this.constants.push(`var ${name} = ${code}`)
    }
    return name
  }

  /** JSON Schema patterns are ECMA-262 regexes; the `u` flag when the pattern allows it. */
  private regex(pattern: string): string {
    let flags = 'u'
    try {
      void new RegExp(pattern, flags)
    }
    catch {
      flags = ''
      try {
        void new RegExp(pattern)
      }
      catch (error) {
        throw new Error(`cannot compile a validator: pattern ${JSON.stringify(pattern)} is not a valid regex (${(error as Error).message})`)
      }
    }
    return this.constant('R', `new RegExp(${JSON.stringify(pattern)}${flags ? ', "u"' : ''})`)
  }
}

// ---- kinds of values -----------------------------------------------------------------------------

function intersect(a: Set<Kind>, b: Set<Kind>): Set<Kind> {
  return new Set([...a].filter(kind => b.has(kind)))
}

function kindOfJson(value: unknown): Kind {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value as Kind
}

function kindOfType(type: unknown): Kind {
  return type === 'integer' ? 'number' : type as Kind
}

// ---- schemas ------------------------------------------------------------------------------------

const VALIDATION_KEYWORDS = new Set(['type', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf', 'x-femto-type', ...OBJECT_KEYWORDS, ...ARRAY_KEYWORDS])

function isValidationKeyword(keyword: string): boolean {
  return VALIDATION_KEYWORDS.has(keyword)
}

function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function has(schema: SchemaObject, keyword: string): boolean {
  return Object.hasOwn(schema, keyword) && schema[keyword] !== undefined
}

function subschemas(schema: SchemaObject): JsonSchema[] {
  const found: JsonSchema[] = []
  if (isSchemaObject(schema.properties))
    found.push(...Object.values(schema.properties) as JsonSchema[])
  for (const keyword of ['additionalProperties', 'items']) {
    if (schema[keyword] !== undefined)
      found.push(schema[keyword] as JsonSchema)
  }
  for (const keyword of ['prefixItems', 'anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(schema[keyword]))
      found.push(...schema[keyword] as JsonSchema[])
  }
  return found
}

/** Required properties with one constant value: what tells the branches of a union apart. */
function discriminators(schema: SchemaObject): [string, unknown][] {
  const properties = isSchemaObject(schema.properties) ? schema.properties : {}
  const required = Array.isArray(schema.required) ? schema.required : []
  return Object.entries(properties).flatMap(([name, property]) => {
    if (!required.includes(name) || !isSchemaObject(property))
      return []
    if (has(property, 'const'))
      return [[name, property.const] as [string, unknown]]
    return Array.isArray(property.enum) && property.enum.length === 1 ? [[name, property.enum[0]] as [string, unknown]] : []
  }).filter(([, constant]) => constant === null || typeof constant !== 'object')
}

function jsonTypeMatches(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'number': return typeof value === 'number'
    case 'boolean': return typeof value === 'boolean'
    case 'integer': return Number.isInteger(value)
    case 'null': return value === null
    case 'array': return Array.isArray(value)
    case 'object': return isSchemaObject(value)
    default: return false
  }
}

function typeTest(type: unknown, value: string, compiler: { use: (helper: string) => void }): Test {
  if (Array.isArray(type))
    return or(type.map(t => typeTest(t, value, compiler)))
  switch (type) {
    case 'string': case 'number': case 'boolean': return typeOf(value, type)
    case 'integer': return call(`Number.isInteger(${value})`)
    case 'null': return equals(value, 'null')
    case 'array': return isArray(value)
    case 'object':
      return plainObject(value, compiler)
    default:
      throw new Error(`cannot compile a validator: unknown type ${JSON.stringify(type)}`)
  }
}

/**
 * A plain object, not an array, Date, Map… Decoded data has no functions, so `constructor ===
 * Object` can only be inherited from Object.prototype (JSON.parse and devalue make no other
 * objects that inherit it): the fast answer, with an inline cache of its own at each place,
 * where `Object.getPrototypeOf` costs ~15 ns. A null-prototype object, or one with an own
 * `constructor` key, takes that slower, exact check.
 */
function plainObject(value: string, compiler: { use: (helper: string) => void }): Test {
  compiler.use('isPlain')
  return and([typeOf(value, 'object'), atom(`${value} !== null`, `${value} === null`), or([equals(`${value}.constructor`, 'Object'), call(`isPlain(${value})`)])])
}

function describeType(type: unknown): string {
  return Array.isArray(type) ? type.join(' | ') : String(type)
}

function describeValues(values: unknown[]): string {
  return values.length === 0 ? 'never' : values.map(v => JSON.stringify(v)).join(' | ')
}

/** `{ kind: "circle" }` for a branch of a discriminated union, else `object`. */
function describeObject(schema: SchemaObject): string {
  const known = discriminators(schema)
  if (known.length === 0)
    return 'object'
  return `{ ${known.map(([name, constant]) => `${IDENTIFIER.test(name) ? name : JSON.stringify(name)}: ${JSON.stringify(constant)}`).join(', ')} }`
}

// ---- code ---------------------------------------------------------------------------------------

function isIdentifier(code: string): boolean {
  return /^[\w$]+$/.test(code)
}

/** `.name` or `["not an identifier"]`, as the path of a property. */
function propertyPath(name: string): string {
  return IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`
}

function slotOf(slot: Slot): string {
  return `${slot.owner}[${slot.key}]`
}

/** The message `<path>: <text>` as a JavaScript string expression. */
function message(path: PathPart[], text: string): string {
  return concat(path, `: ${text}`)
}

/** The path followed by the relative error in the variable `error`. */
function prefixed(path: PathPart[], error: string): string {
  return path.length === 0 ? error : `${concat(path, '')} + ${error}`
}

function concat(path: PathPart[], tail: string): string {
  const pieces: string[] = []
  let text = ''
  for (const part of path) {
    if (typeof part === 'string') {
      text += part
      continue
    }
    if (text)
      pieces.push(JSON.stringify(text))
    text = ''
    pieces.push(part.js)
  }
  text += tail
  if (text || pieces.length === 0)
    pieces.push(JSON.stringify(text))
  return pieces.join(' + ')
}

function atom(pos: string, neg: string): Test {
  return { pos, neg }
}

function call(code: string): Test {
  return atom(code, `!${code}`)
}

function typeOf(value: string, type: string): Test {
  return atom(`typeof ${value} === "${type}"`, `typeof ${value} !== "${type}"`)
}

function equals(value: string, literal: string): Test {
  return atom(`${value} === ${literal}`, `${value} !== ${literal}`)
}

function instanceOf(value: string, type: string): Test {
  return atom(`${value} instanceof ${type}`, `!(${value} instanceof ${type})`)
}

function isArray(value: string): Test {
  return call(`Array.isArray(${value})`)
}

/** Without repeats: branches of a union often share their conditions. */
function unique(tests: Test[]): Test[] {
  const seen = new Set<string>()
  return tests.filter((t) => {
    const key = JSON.stringify(t)
    return !seen.has(key) && Boolean(seen.add(key))
  })
}

function or(tests: Test[]): Test {
  const kept = unique(tests.flatMap(t => (typeof t === 'object' && 'or' in t ? t.or : [t])).filter(t => t !== false))
  if (kept.includes(true))
    return true
  return kept.length === 0 ? false : kept.length === 1 ? kept[0]! : { or: kept }
}

function and(tests: Test[]): Test {
  const kept = unique(tests.flatMap(t => (typeof t === 'object' && 'and' in t ? t.and : [t])).filter(t => t !== true))
  if (kept.includes(false))
    return false
  return kept.length === 0 ? true : kept.length === 1 ? kept[0]! : { and: kept }
}

function not(test: Test): Test {
  if (typeof test === 'boolean')
    return !test
  if ('or' in test)
    return and(test.or.map(not))
  if ('and' in test)
    return or(test.and.map(not))
  return atom(test.neg, test.pos)
}

function render(test: Test, insideAnd = false): string {
  if (typeof test === 'boolean')
    return String(test)
  if ('and' in test)
    return test.and.map(t => render(t, true)).join(' && ')
  if ('or' in test) {
    const code = test.or.map(t => render(t)).join(' || ')
    return insideAnd ? `(${code})` : code
  }
  return test.pos
}
