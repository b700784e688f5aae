import type { TypeSchemaWriter } from './derive-type'
import type { FunctionNode } from './ts-locate'
import type { FunctionSchema, JsonSchema, ParamSchema, SchemaWarning } from './types'
import { resolve } from 'node:path'
import ts from 'typescript'
import { misplacedBytes } from './bytes-placement'
import { descriptionOf, isThisParameter, jsDocsOf, paramDescriptionOf } from './ts-jsdoc'

const PROMISE_NAMES = new Set(['Promise', 'PromiseLike'])
const ASYNC_ITERABLE_NAMES = new Set(['AsyncGenerator', 'AsyncIterable', 'AsyncIterableIterator', 'AsyncIteratorObject'])

export function deriveFunctionSchema(fn: FunctionNode, writer: TypeSchemaWriter, checker: ts.TypeChecker): FunctionSchema {
  const docs = jsDocsOf(fn)
  const declared = fn.parameters.filter(param => !isThisParameter(param))
  const params = fn.parameters
    .map((param, index) => ({ param, index }))
    .filter(({ param }) => !isThisParameter(param))
    .map(({ param, index }) => paramSchemaOf(param, index, docs, writer, checker))
  const result = resultSchemaOf(fn, writer, checker)
  const description = descriptionOf(docs)
  const defs = Object.fromEntries(Object.entries(writer.defs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  // Bytes where they cannot travel are build errors (bytes-placement.ts); a generator's values are not checked here.
  const errors: SchemaWarning[] = misplacedBytes(params, fn.asteriskToken ? undefined : result, defs).map(({ at, message }) => {
    const node = at === 'result' ? fn.type ?? fn.name ?? fn : declared[at]!.type ?? declared[at]!
    const file = node.getSourceFile()
    const { line, character } = file.getLineAndCharacterOfPosition(node.getStart(file))
    return { file: resolve(file.fileName), line: line + 1, column: character, message }
  })
  return {
    params,
    result,
    defs,
    ...(description ? { description } : {}),
    warnings: writer.warnings,
    ...(errors.length > 0 ? { errors } : {}),
  }
}

/** Name, optional and rest as `paramOf` in `../analyze.ts` reads them from Babel's tree, so both agree. */
function paramSchemaOf(param: ts.ParameterDeclaration, index: number, docs: readonly ts.JSDoc[], writer: TypeSchemaWriter, checker: ts.TypeChecker): ParamSchema {
  const name = ts.isIdentifier(param.name) ? param.name.text : `arg${index}`
  const rest = !!param.dotDotDotToken
  const optional = rest || !!param.initializer || (ts.isIdentifier(param.name) && !!param.questionToken)
  const site = { where: `parameter '${name}'`, node: param.type ?? param, spelled: param.type }
  const schema = writer.attempt(site, () => {
    // Without an annotation, the checker's type: from the default value, a JSDoc tag or the context.
    const type = param.type ? checker.getTypeFromTypeNode(param.type) : checker.getTypeAtLocation(param)
    return optional && !rest ? writer.optionalSchemaOf(type, site) : writer.schemaOf(type, site)
  })
  const description = paramDescriptionOf(docs, param)
  return { name, optional, rest, schema, ...(description ? { description } : {}) }
}

function resultSchemaOf(fn: FunctionNode, writer: TypeSchemaWriter, checker: ts.TypeChecker): JsonSchema {
  const generator = !!fn.asteriskToken
  const where = generator ? 'each yielded value' : 'result'
  const fallback = fn.type ?? fn.name ?? fn
  return writer.attempt({ where, node: fallback }, () => {
    const signature = checker.getSignatureFromDeclaration(fn)
    const returned = signature ? checker.getReturnTypeOfSignature(signature) : checker.getAnyType()
    const written = fn.type && resultTypeNodeOf(fn.type, generator)
    let type = generator ? yieldedTypeOf(returned, checker) : checker.getAwaitedType(returned) ?? returned
    // `Promise<T>` of a type parameter awaits to `Awaited<T>`; the written `T` makes the clearer warning.
    if (written && type && type.flags & ts.TypeFlags.Conditional)
      type = checker.getTypeFromTypeNode(written)
    if (!type)
      return writer.schemaOf(checker.getNeverType(), { where, node: fallback })
    return writer.schemaOf(type, writer.siteOf(where, type, written, fallback))
  })
}

/** `AsyncGenerator<Item>` yields `Item`. */
function yieldedTypeOf(returned: ts.Type, checker: ts.TypeChecker): ts.Type | undefined {
  const isReference = (returned as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference
  if (!isReference || !ASYNC_ITERABLE_NAMES.has(returned.getSymbol()?.name ?? ''))
    return undefined
  return checker.getTypeArguments(returned as ts.TypeReference)[0]
}

/** The written result inside `Promise<...>` or `AsyncGenerator<...>`, to keep alias names. */
function resultTypeNodeOf(node: ts.TypeNode, generator: boolean): ts.TypeNode | undefined {
  const wrappers = generator ? ASYNC_ITERABLE_NAMES : PROMISE_NAMES
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && wrappers.has(node.typeName.text))
    return node.typeArguments?.[0]
  return generator ? undefined : node
}
