import type { Schema } from './derive-forms'
import type { DefNames } from './derive-names'
import type { JsonSchema, SchemaWarning } from './types'
import { resolve } from 'node:path'
import ts from 'typescript'
import { bigintSchema, dateSchema, enumSchema, isBareType, isLiteral, pseudoBigIntText, templatePattern } from './derive-forms'
import { isNodeTypes } from './ts-libs'
import { skipParentheses, spelledArguments } from './ts-type-nodes'

/** Where a type occurs. */
export interface TypeSite {
  /** How a warning names the place: `parameter 'opts', property 'onDone'`. */
  where: string
  /** The nearest node in the user's code, for the position of a warning. */
  node: ts.Node
  /**
   * The type node that spells exactly this type, when there is one. The checker flattens
   * `Status | null` into `'a' | 'b' | null`; the spelling keeps `Status` so it stays a `$ref`.
   */
  spelled?: ts.TypeNode
}

interface Member { type: ts.Type, site: TypeSite }

interface NamedType { symbol: ts.Symbol, typeArguments: readonly ts.Type[], isEnum: boolean }

/** Past this, a type is almost certainly an endless expansion the checks below did not catch. */
const MAX_DEPTH = 64
/** Instantiations of one generic nested in each other before it counts as expanding without end, as in TypeScript's own checker. */
const EXPANSION_LIMIT = 3
/** Type texts in warnings are cut here: an expanded type can be thousands of characters. */
const MAX_TYPE_TEXT = 100
const NUMERIC_KEY_PATTERN = '^-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?$'

const PRIMITIVE_FLAGS = ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.ESSymbolLike
const UNRESOLVED_FLAGS = ts.TypeFlags.TypeParameter | ts.TypeFlags.Index | ts.TypeFlags.IndexedAccess | ts.TypeFlags.Conditional | ts.TypeFlags.Substitution

/**
 * Writes the JSON Schema of TypeScript types for one function: named types go into `defs`,
 * what cannot be expressed becomes `{}` and a warning. Never throws because of a type.
 */
export class TypeSchemaWriter {
  readonly defs: Record<string, JsonSchema> = {}
  readonly warnings: SchemaWarning[] = []
  /** Defs whose body is being written (with their symbols, innermost last), and those of them that refer to themselves. */
  private readonly building = new Set<string>()
  private readonly buildingSymbols: ts.Symbol[] = []
  private readonly recursive = new Set<string>()
  /** Anonymous types being written: meeting one again means it refers to itself with no name. */
  private readonly inline = new Set<ts.Type>()
  private depth = 0
  /**
   * Whether a type written was TypeScript's error type: a name or a module the program could not
   * resolve (`process.env.HOME` without Node's types), written as `{}` like `any`.
   */
  metErrorType = false

  constructor(
    private readonly program: ts.Program,
    private readonly checker: ts.TypeChecker,
    private readonly names: DefNames,
  ) {}

  /** A site for `type` at `node`, spelled by `node` when it is a type node that denotes exactly `type`. */
  siteOf(where: string, type: ts.Type, node: ts.Node | undefined, fallback: ts.Node): TypeSite {
    if (node && ts.isTypeNode(node) && this.checker.getTypeFromTypeNode(node) === type)
      return { where, node, spelled: node }
    return { where, node: node && this.isUserNode(node) ? node : fallback }
  }

  /** Runs `write`; if it throws (a bug, or a checker surprise), the value is not checked and the user is told. */
  attempt(site: TypeSite, write: () => JsonSchema): JsonSchema {
    try {
      return write()
    }
    catch (error) {
      return this.warn(site, `could not derive a schema (${error instanceof Error ? error.message : String(error)})`)
    }
  }

  schemaOf(type: ts.Type, site: TypeSite): Schema {
    if (this.depth >= MAX_DEPTH)
      return this.warn(site, `the type '${this.text(type)}' is nested too deeply to describe`)
    this.depth++
    try {
      return this.schemaOfType(type, site)
    }
    finally {
      this.depth--
    }
  }

  /** An optional parameter, property or tuple element may be absent: `undefined` is not one of its values. */
  optionalSchemaOf(type: ts.Type, site: TypeSite): Schema {
    if (!type.isUnion() || !type.types.some(isUndefined))
      return this.schemaOf(type, site)
    return this.unionOf(this.membersOf(type, site).filter(member => !isUndefined(member.type)), site)
  }

  private schemaOfType(type: ts.Type, site: TypeSite): Schema {
    const flags = type.flags
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
      if ((type as { intrinsicName?: string }).intrinsicName === 'error')
        this.metErrorType = true
      return {}
    }
    if (flags & ts.TypeFlags.Never)
      return this.warn(site, `the type 'never' has no values`)
    if (flags & ts.TypeFlags.TypeParameter)
      return this.warn(site, `the type parameter '${this.text(type)}' is not known at build time`)
    return this.specialObjectOf(type, site) ?? this.refTo(type, site) ?? this.structuralSchemaOf(type, site)
  }

  /** The schema of a type's own structure, never a `$ref` to it. */
  private structuralSchemaOf(type: ts.Type, site: TypeSite): Schema {
    const flags = type.flags
    if (flags & ts.TypeFlags.String)
      return { type: 'string' }
    if (flags & ts.TypeFlags.Number)
      return { type: 'number' }
    if (flags & ts.TypeFlags.Boolean)
      return { type: 'boolean' }
    if (flags & ts.TypeFlags.BigInt)
      return bigintSchema()
    if (flags & ts.TypeFlags.Null)
      return { type: 'null' }
    if (flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void))
      return { 'x-femto-type': 'undefined' }
    if (flags & ts.TypeFlags.StringLiteral)
      return { type: 'string', const: (type as ts.StringLiteralType).value }
    if (flags & ts.TypeFlags.NumberLiteral)
      return { type: 'number', const: (type as ts.NumberLiteralType).value }
    if (flags & ts.TypeFlags.BooleanLiteral)
      return { type: 'boolean', const: this.text(type) === 'true' }
    if (flags & ts.TypeFlags.BigIntLiteral)
      return { ...bigintSchema(), const: pseudoBigIntText((type as ts.BigIntLiteralType).value) }
    if (flags & ts.TypeFlags.TemplateLiteral)
      return { type: 'string', pattern: templatePattern(type as ts.TemplateLiteralType) }
    if (flags & ts.TypeFlags.StringMapping)
      return { type: 'string' }
    if (flags & ts.TypeFlags.Enum)
      return { type: 'number' }
    if (flags & ts.TypeFlags.ESSymbolLike)
      return this.warn(site, `a symbol cannot cross the network`)
    if (flags & ts.TypeFlags.NonPrimitive)
      return { type: 'object' }
    if (type.isUnion())
      return this.inlined(type, site, () => this.unionOf(this.membersOf(type, site), site))
    if (type.isIntersection())
      return this.inlined(type, site, () => this.intersectionOf(type, site))
    if (flags & ts.TypeFlags.Object)
      return this.inlined(type, site, () => this.objectOf(type, site))
    return this.warn(site, `the type '${this.text(type)}' cannot be resolved at build time`)
  }

  /** Arrays, tuples, the built-ins the wire format knows, and the object types it cannot carry. */
  private specialObjectOf(type: ts.Type, site: TypeSite): Schema | undefined {
    if (!(type.flags & ts.TypeFlags.Object))
      return undefined
    if (this.checker.isTupleType(type))
      return this.tupleOf(type as ts.TupleTypeReference, site)
    if (this.checker.isArrayType(type)) {
      const [element] = this.typeArgumentsOf(type)
      return { type: 'array', items: this.schemaOf(element!, this.siteOf(site.where, element!, spelledArguments(site.spelled)?.[0], site.node)) }
    }
    if (type.getCallSignatures().length > 0)
      return this.warn(site, `a function type cannot cross the network`)
    if (type.getConstructSignatures().length > 0)
      return this.warn(site, `a class ('${this.text(type)}') cannot cross the network`)
    const symbol = type.getSymbol()
    if (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) && this.isBuiltin(symbol))
      return this.builtinOf(symbol.name, type, site)
    if (symbol && symbol.flags & ts.SymbolFlags.Class && this.checker.getPropertiesOfType(type).some(p => p.flags & ts.SymbolFlags.Method))
      return this.warn(site, `an instance of class '${symbol.name}' has methods, which cannot cross the network`)
    return undefined
  }

  private builtinOf(name: string, type: ts.Type, site: TypeSite): Schema {
    const argumentSite = (index: number): [ts.Type, TypeSite] => {
      const argument = this.typeArgumentsOf(type)[index] ?? this.checker.getAnyType()
      return [argument, this.siteOf(site.where, argument, spelledArguments(site.spelled)?.[index], site.node)]
    }
    switch (name) {
      case 'Date':
        return dateSchema()
      case 'URL':
        return { 'type': 'string', 'format': 'uri', 'x-femto-type': 'URL' }
      case 'File':
      case 'Blob':
      case 'Uint8Array':
      case 'ReadableStream':
        // Bytes: sent as a part of a multipart body (docs/guide/files-and-forms.md), never as JSON text.
        return binarySchema(name)
      case 'FormData':
        // A whole form, as the multipart body itself: the only parameter of its function.
        return { 'type': 'object', 'x-femto-type': 'FormData' }
      case 'Map':
      case 'ReadonlyMap': {
        const entry = { type: 'array', prefixItems: [this.schemaOf(...argumentSite(0)), this.schemaOf(...argumentSite(1))], minItems: 2, maxItems: 2 }
        return { 'type': 'array', 'items': entry, 'x-femto-type': 'Map' }
      }
      case 'Set':
      case 'ReadonlySet':
        // No `uniqueItems`: a list with repeats is taken, and becomes a Set without them.
        return { 'type': 'array', 'items': this.schemaOf(...argumentSite(0)), 'x-femto-type': 'Set' }
      case 'Promise':
      case 'PromiseLike':
        return this.warn(site, `a Promise cannot cross the network; pass the value it resolves to`)
      case 'Function':
        return this.warn(site, `a function type cannot cross the network`)
      default:
        return this.warn(site, `the built-in type '${name}' has no JSON form`)
    }
  }

  /** A named type goes into `defs` once and is referred to by `$ref`, which also ends recursion. */
  private refTo(type: ts.Type, site: TypeSite): Schema | undefined {
    const named = this.namedTypeOf(type)
    if (!named)
      return undefined
    const name = this.defNameOf(type, named)
    const ref = { $ref: `#/$defs/${name}` }
    if (name in this.defs) {
      if (this.building.has(name))
        this.recursive.add(name)
      return ref
    }
    // A generic that holds a bigger instantiation of itself (`next: Deep<Box<T>>`) would give a new def at every level.
    if (this.buildingSymbols.filter(symbol => symbol === named.symbol).length >= EXPANSION_LIMIT)
      return this.warn(site, `the generic type '${named.symbol.name}' expands without end`)
    this.defs[name] = {}
    this.building.add(name)
    this.buildingSymbols.push(named.symbol)
    let body: Schema
    try {
      body = named.isEnum ? this.enumBodyOf(type) : this.structuralSchemaOf(type, this.defSiteOf(type, named, name, site))
    }
    finally {
      this.building.delete(name)
      this.buildingSymbols.pop()
    }
    // A def that says nothing (a function type behind an alias) is only noise in the output.
    if (Object.keys(body).length === 0 && !this.recursive.has(name)) {
      delete this.defs[name]
      return body
    }
    const description = documentationOf(named.symbol, this.checker)
    this.defs[name] = description ? { ...body, description } : body
    return ref
  }

  private namedTypeOf(type: ts.Type): NamedType | undefined {
    // An enum's type is the union of its members, with the enum itself as the alias.
    const enumSymbol = type.isUnion() || type.flags & ts.TypeFlags.Enum ? [type.aliasSymbol, type.getSymbol()].find(s => s && s.flags & ts.SymbolFlags.Enum) : undefined
    if (enumSymbol)
      return { symbol: enumSymbol, typeArguments: [], isEnum: true }
    if (type.aliasSymbol)
      return this.isBuiltin(type.aliasSymbol) ? undefined : { symbol: type.aliasSymbol, typeArguments: type.aliasTypeArguments ?? [], isEnum: false }
    const symbol = type.getSymbol()
    if (!symbol || this.isBuiltin(symbol))
      return undefined
    if (!(type.flags & ts.TypeFlags.Object))
      return undefined
    const objectFlags = (type as ts.ObjectType).objectFlags
    if (objectFlags & ts.ObjectFlags.ClassOrInterface)
      return { symbol, typeArguments: [], isEnum: false }
    if (objectFlags & ts.ObjectFlags.Reference) {
      const target = (type as ts.TypeReference).target
      if (target.objectFlags & ts.ObjectFlags.ClassOrInterface)
        return { symbol, typeArguments: this.typeArgumentsOf(type).slice(0, target.typeParameters?.length ?? 0), isEnum: false }
    }
    return undefined
  }

  private defNameOf(type: ts.Type, named: NamedType): string {
    const argumentNames = named.typeArguments.map((argument) => {
      const namedArgument = this.namedTypeOf(argument)
      return namedArgument ? this.defNameOf(argument, namedArgument) : this.text(argument)
    })
    return this.names.nameOf(type, named.symbol, argumentNames)
  }

  /** Warnings inside a def point into its declaration; a non-generic alias keeps its spelling. */
  private defSiteOf(type: ts.Type, named: NamedType, name: string, site: TypeSite): TypeSite {
    const declaration = named.symbol.declarations?.[0]
    const fallback = declaration && this.isUserNode(declaration) ? declaration : site.node
    const aliasNode = declaration && ts.isTypeAliasDeclaration(declaration) ? declaration.type : undefined
    return this.siteOf(`type '${name}'`, type, aliasNode, fallback)
  }

  private enumBodyOf(type: ts.Type): Schema {
    if (!type.isUnion())
      return { type: 'number' }
    const values = type.types.map(member => (member as ts.LiteralType).value as string | number)
    return enumSchema(values)
  }

  /** The members of a union, spelled as written when the union was written out (`Status | null`). */
  private membersOf(type: ts.UnionType, site: TypeSite): Member[] {
    const node = site.spelled && skipParentheses(site.spelled)
    if (node && ts.isUnionTypeNode(node)) {
      const written = node.types.map(member => ({ type: this.checker.getTypeFromTypeNode(member), site: { where: site.where, node: member, spelled: member } }))
      const flattened = new Set(written.flatMap(member => (member.type.isUnion() ? member.type.types : [member.type])))
      if (flattened.size === type.types.length && type.types.every(member => flattened.has(member)))
        return written
    }
    return type.types.map(member => ({ type: member, site: { where: site.where, node: site.node } }))
  }

  private unionOf(members: Member[], site: TypeSite): Schema {
    const live = members.filter(member => !(member.type.flags & ts.TypeFlags.Never))
    // The checker spells `boolean` as `true | false` and an enum as its members; put them back together.
    const isPlainBoolean = (member: Member): boolean => !!(member.type.flags & ts.TypeFlags.BooleanLiteral) && !(member.type.flags & ts.TypeFlags.EnumLiteral)
    const booleans = live.filter(isPlainBoolean)
    const wholeBoolean = booleans.length === 2
    const enumOfMember = this.completeEnumsIn(live)
    const schemas: Schema[] = []
    const done = new Set<ts.Type | 'boolean'>()
    for (const member of live) {
      const whole = wholeBoolean && isPlainBoolean(member) ? 'boolean' : enumOfMember.get(member.type)
      if (whole && done.has(whole))
        continue
      if (whole)
        done.add(whole)
      schemas.push(whole === 'boolean' ? { type: 'boolean' } : this.schemaOf(whole ?? member.type, member.site))
    }
    return this.combine(schemas, site)
  }

  /** Enum members that, together, are all of their enum: each maps to the enum type. */
  private completeEnumsIn(members: Member[]): Map<ts.Type, ts.Type> {
    const byEnum = new Map<ts.Symbol, ts.Type[]>()
    for (const { type } of members) {
      const declaration = type.flags & ts.TypeFlags.EnumLiteral && !type.isUnion() ? type.getSymbol()?.valueDeclaration : undefined
      const enumSymbol = declaration && ts.isEnumMember(declaration) ? this.checker.getSymbolAtLocation(declaration.parent.name) : undefined
      if (enumSymbol)
        byEnum.set(enumSymbol, [...(byEnum.get(enumSymbol) ?? []), type])
    }
    const result = new Map<ts.Type, ts.Type>()
    for (const [enumSymbol, present] of byEnum) {
      const enumType = this.checker.getDeclaredTypeOfSymbol(enumSymbol)
      const all = enumType.isUnion() ? enumType.types : [enumType]
      if (all.every(member => present.includes(member)))
        present.forEach(member => result.set(member, enumType))
    }
    return result
  }

  /**
   * One schema for alternatives: bare primitive types become a type list (`string | null` is
   * `type: ['string', 'null']`), literals an `enum`, anything else `anyOf`.
   */
  private combine(schemas: Schema[], site: TypeSite): Schema {
    const seen = new Set<string>()
    const unique = schemas.filter((schema) => {
      const key = JSON.stringify(schema)
      return !seen.has(key) && !!seen.add(key)
    })
    if (unique.length === 0)
      return this.warn(site, `the type 'never' has no values`)
    if (unique.length === 1)
      return unique[0]!
    if (unique.every(isBareType))
      return { type: unique.map(schema => schema.type) }
    if (unique.every(schema => isLiteral(schema) || (isBareType(schema) && schema.type === 'null')))
      return enumSchema(unique.map(schema => ('const' in schema ? schema.const : null)))
    const literals = unique.filter(isLiteral)
    if (literals.length < 2)
      return { anyOf: unique }
    const merged = enumSchema(literals.map(schema => schema.const))
    return { anyOf: unique.flatMap(schema => (schema === literals[0] ? [merged] : isLiteral(schema) ? [] : [schema])) }
  }

  private intersectionOf(type: ts.IntersectionType, site: TypeSite): Schema {
    // A branded primitive (`string & { __brand: 'UserId' }`) is just the primitive on the wire.
    const primitive = type.types.find(member => member.flags & PRIMITIVE_FLAGS)
    if (primitive)
      return this.schemaOf(primitive, site)
    if (type.types.some(member => member.flags & UNRESOLVED_FLAGS))
      return this.warn(site, `the type '${this.text(type)}' is not known at build time`)
    if (type.getCallSignatures().length > 0)
      return this.warn(site, `a function type cannot cross the network`)
    return this.objectOf(type, site)
  }

  /** Properties through the checker, so intersections, `Partial`, `Pick`, `Omit` and `Record` come out merged. */
  private objectOf(type: ts.Type, site: TypeSite): Schema {
    const properties: [string, Schema][] = []
    const required: string[] = []
    for (const property of this.checker.getPropertiesOfType(type)) {
      if (!crossesTheNetwork(property))
        continue
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0
      const { type: propertyType, site: propertySite } = this.propertyTypeOf(property, site, optional)
      const schema = optional ? this.optionalSchemaOf(propertyType, propertySite) : this.schemaOf(propertyType, propertySite)
      const description = documentationOf(property, this.checker)
      properties.push([property.name, description ? { ...schema, description } : schema])
      // JSON has no undefined: a property that may hold it is left out of the JSON form, so it may be absent.
      if (!optional && !isOrHasUndefined(propertyType))
        required.push(property.name)
    }
    const index = this.indexSignaturesOf(type, site)
    if (properties.length === 0 && !index)
      return { type: 'object' }
    return {
      type: 'object',
      ...(properties.length > 0 ? { properties: Object.fromEntries(properties) } : {}),
      ...(required.length > 0 ? { required } : {}),
      ...(index ?? { additionalProperties: false }),
    }
  }

  private propertyTypeOf(property: ts.Symbol, parent: TypeSite, optional: boolean): Member {
    const type = this.checker.getTypeOfSymbol(property)
    const where = `${parent.where}, property '${property.name}'`
    const declaration = property.valueDeclaration ?? property.declarations?.[0]
    const typeNode = declaration && (ts.isPropertySignature(declaration) || ts.isPropertyDeclaration(declaration) || ts.isParameter(declaration))
      ? declaration.type
      : undefined
    const node = declaration && this.isUserNode(declaration) ? (typeNode ?? declaration) : parent.node
    if (typeNode) {
      // The declared spelling applies when the property is not instantiated from a generic or a mapped type.
      const declared = this.checker.getTypeFromTypeNode(typeNode)
      if (declared === type || (optional && sameTypes(withoutUndefined(type), withoutUndefined(declared))))
        return { type: declared, site: { where, node, spelled: typeNode } }
    }
    return { type, site: { where, node } }
  }

  private indexSignaturesOf(type: ts.Type, site: TypeSite): Schema | undefined {
    const signatures = this.checker.getIndexInfosOfType(type).filter(info => !(info.keyType.flags & ts.TypeFlags.ESSymbolLike))
    if (signatures.length === 0)
      return undefined
    // `Record<string, never>` is how TypeScript spells an object that has no properties.
    const infos = signatures.filter(info => !(info.type.flags & ts.TypeFlags.Never))
    if (infos.length === 0)
      return { additionalProperties: false }
    const valuesOf = (list: readonly ts.IndexInfo[]): Schema => this.combine(list.map(info =>
      this.schemaOf(info.type, this.siteOf(`${site.where}, property values`, info.type, info.declaration?.type, site.node))), site)
    const stringKeyed = infos.filter(info => info.keyType.flags & ts.TypeFlags.String)
    if (stringKeyed.length > 0)
      return { additionalProperties: valuesOf(stringKeyed) }
    const keys = infos.map(info => info.keyType.flags & ts.TypeFlags.TemplateLiteral
      ? { pattern: templatePattern(info.keyType as ts.TemplateLiteralType) }
      : { pattern: NUMERIC_KEY_PATTERN })
    return { additionalProperties: valuesOf(infos), propertyNames: this.combine(keys, site) }
  }

  private tupleOf(type: ts.TupleTypeReference, site: TypeSite): Schema {
    const { elementFlags, minLength } = type.target
    const elements = this.typeArgumentsOf(type)
    const written = spelledArguments(site.spelled)
    const prefixItems: Schema[] = []
    const trailing: Schema[] = []
    let rest: Schema | undefined
    elementFlags.forEach((flags, i) => {
      const element = elements[i]!
      const elementSite = this.siteOf(site.where, element, written?.[i], site.node)
      if (flags & ts.ElementFlags.Variadic)
        rest = this.warn(elementSite, `the spread '${this.text(element)}' is not known at build time`)
      else if (flags & ts.ElementFlags.Rest)
        rest = this.schemaOf(element, elementSite)
      else
        (rest ? trailing : prefixItems).push(flags & ts.ElementFlags.Optional ? this.optionalSchemaOf(element, elementSite) : this.schemaOf(element, elementSite))
    })
    return {
      type: 'array',
      ...(prefixItems.length > 0 ? { prefixItems } : {}),
      // JSON Schema has no fixed elements after a variable run: those are only checked as items.
      items: rest ? (trailing.length > 0 ? this.combine([rest, ...trailing], site) : rest) : false,
      minItems: minLength,
      ...(rest ? {} : { maxItems: prefixItems.length }),
    }
  }

  private typeArgumentsOf(type: ts.Type): readonly ts.Type[] {
    return (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference ? this.checker.getTypeArguments(type as ts.TypeReference) : []
  }

  private inlined(type: ts.Type, site: TypeSite, write: () => Schema): Schema {
    if (this.inline.has(type))
      return this.warn(site, `the type '${this.text(type)}' refers to itself but has no name to refer to it by; give it one with an interface or a type alias`)
    this.inline.add(type)
    try {
      return write()
    }
    finally {
      this.inline.delete(type)
    }
  }

  private warn(site: TypeSite, problem: string): Schema {
    const file = site.node.getSourceFile()
    const { line, character } = file.getLineAndCharacterOfPosition(site.node.getStart(file))
    const warning = { file: resolve(file.fileName), line: line + 1, column: character, message: `${site.where}: ${problem}; accepting any value` }
    if (!this.warnings.some(w => w.file === warning.file && w.line === warning.line && w.column === warning.column && w.message === warning.message))
      this.warnings.push(warning)
    return {}
  }

  /** Code the user wrote, as opposed to TypeScript's libs and `node_modules`: a warning there could not be acted on. */
  private isUserNode(node: ts.Node): boolean {
    const file = node.getSourceFile()
    return !this.program.isSourceFileDefaultLibrary(file) && !this.program.isSourceFileFromExternalLibrary(file)
  }

  /** Declared by TypeScript's libs or by Node's types: `Date`, `Map`, `Partial`, `Record`... */
  private isBuiltin(symbol: ts.Symbol): boolean {
    return symbol.declarations?.some((declaration) => {
      const file = declaration.getSourceFile()
      return this.program.isSourceFileDefaultLibrary(file) || isNodeTypes(file.fileName)
    }) ?? false
  }

  private text(type: ts.Type): string {
    const text = this.checker.typeToString(type)
    return text.length > MAX_TYPE_TEXT ? `${text.slice(0, MAX_TYPE_TEXT)}…` : text
  }
}

function isUndefined(type: ts.Type): boolean {
  return (type.flags & ts.TypeFlags.Undefined) !== 0
}

function isOrHasUndefined(type: ts.Type): boolean {
  const undefinedLike = (member: ts.Type): boolean => (member.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) !== 0
  return undefinedLike(type) || (type.isUnion() && type.types.some(undefinedLike))
}

function withoutUndefined(type: ts.Type): ts.Type[] {
  return (type.isUnion() ? type.types : [type]).filter(member => !isUndefined(member))
}

function sameTypes(a: ts.Type[], b: ts.Type[]): boolean {
  return a.length === b.length && a.every(type => b.includes(type))
}

/** Symbol-keyed and `#private` members, and `private`/`protected` ones, are not part of the data. */

function crossesTheNetwork(property: ts.Symbol): boolean {
  const name = property.escapedName as string
  if (name.startsWith('__@') || name.startsWith('__#'))
    return false
  const declaration = property.valueDeclaration
  return !declaration || !(ts.getCombinedModifierFlags(declaration as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected))
}

function documentationOf(symbol: ts.Symbol, checker: ts.TypeChecker): string | undefined {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() || undefined
}

/** The schema of a value that travels as bytes: a multipart part in a request, the body of an answer. */
export function binarySchema(name: 'File' | 'Blob' | 'Uint8Array' | 'ReadableStream'): Schema {
  return { 'type': 'string', 'contentMediaType': 'application/octet-stream', 'x-femto-type': name }
}
