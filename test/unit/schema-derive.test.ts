import type ts from 'typescript'
import type { FunctionLocation } from '../../src/core/schema/derive'
import type { FunctionSchema } from '../../src/core/schema/types'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { staleDependency } from '../../src/core/schema/dependencies'
import { deriveSchemas, deriveSchemasFromProgram, deriveSchemasWithDependencies, deriveSchemasWithProgram } from '../../src/core/schema/derive'
import { binarySchema } from '../../src/core/schema/derive-type'
import { nameMissingDeclaration } from '../../src/core/schema/ts-libs'
import { createSchemaProgram } from '../../src/core/schema/ts-program'
import { analyzeModule } from '../../src/core/transform/analyze'

const FIXTURES = join(import.meta.dirname, '../fixtures/schema')
const FORMS = join(FIXTURES, 'forms.ts')
const UNSUPPORTED = join(FIXTURES, 'unsupported.ts')

/** Femto functions of a module where the plugin would find them: Babel's position of each function node. */
function locate(file: string): FunctionLocation[] {
  const code = readFileSync(file, 'utf8')
  return analyzeModule(file, code).functions.map((fn) => {
    const before = code.slice(0, fn.range.start).split('\n')
    return { name: fn.name, file, line: before.length, column: before.at(-1)!.length }
  })
}

function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8').indexOf(text)
  expect(index).toBeGreaterThanOrEqual(0)
  return readFileSync(file, 'utf8').slice(0, index).split('\n').length
}

describe('deriveSchemas', () => {
  let schemas: Map<string, FunctionSchema>
  const get = (name: string): FunctionSchema => schemas.get(name)!
  const param = (fn: string, name: string): any => get(fn).params.find(p => p.name === name)

  beforeAll(() => {
    schemas = deriveSchemas({ files: [FORMS, UNSUPPORTED], functions: [...locate(FORMS), ...locate(UNSUPPORTED)], root: FIXTURES })
  })

  it('derives every type form (snapshot)', async () => {
    const forms = Object.fromEntries(locate(FORMS).map(fn => [fn.name, get(fn.name)]))
    await expect(JSON.stringify(forms, null, 2)).toMatchFileSnapshot('./__snapshots__/schema/forms.json')
  })

  it('turns what cannot cross the network into {} with a warning (snapshot)', async () => {
    const unsupported = Object.fromEntries(locate(UNSUPPORTED).map(fn => [fn.name, get(fn.name)]))
    const relative = JSON.stringify(unsupported, null, 2).replaceAll(FIXTURES, '<fixtures>')
    await expect(relative).toMatchFileSnapshot('./__snapshots__/schema/unsupported.json')
  })

  it('no warnings for the expressible forms', () => {
    for (const { name } of locate(FORMS))
      expect(get(name).warnings, name).toEqual([])
  })

  it('names imported interfaces in defs and refers to them', () => {
    const getUser = get('getUser')
    expect(getUser.result).toEqual({ $ref: '#/$defs/User' })
    expect(getUser.defs.User).toMatchObject({ type: 'object', required: ['id', 'name', 'roles', 'createdAt'], additionalProperties: false, description: 'A person who can sign in.' })
    expect(getUser.defs.Role).toEqual({ type: 'string', enum: ['admin', 'editor', 'viewer'], description: 'What a user may do.' })
    expect((getUser.defs.User as any).properties.id.description).toBe('Unique id, assigned by the server.')
  })

  it('gives two types of the same name distinct def names', () => {
    const billing = get('billingUser')
    expect(billing.params[0]!.schema).toEqual({ $ref: '#/$defs/User_billing' })
    expect(billing.result).toEqual({ $ref: '#/$defs/User' })
    expect(billing.defs.User_billing).toMatchObject({ properties: { accountId: { type: 'number' } } })
    expect((billing.defs.Invoice as any).properties.customer).toEqual({ $ref: '#/$defs/User_billing' })
  })

  it('writes recursive types as $ref', () => {
    const tree = get('tree')
    expect(tree.defs.Tree).toMatchObject({ properties: { children: { type: 'array', items: { $ref: '#/$defs/Tree' } } } })
    expect((tree.defs.Chain as any).properties.next).toEqual({ anyOf: [{ $ref: '#/$defs/Chain' }, { type: 'null' }] })
  })

  it('names generic instantiations after their arguments', () => {
    expect(get('listItems').result).toEqual({ $ref: '#/$defs/Page_Item' })
    expect(Object.keys(get('listUsers').defs)).toEqual(['Item', 'Page_Item', 'Page_User', 'Role', 'User'])
  })

  it('reads names, optionality and rest as analyze.ts does', () => {
    const code = readFileSync(FORMS, 'utf8')
    for (const fn of analyzeModule(FORMS, code).functions)
      expect(get(fn.name).params.map(({ name, optional, rest }) => ({ name, optional, rest })), fn.name).toEqual(fn.params)
  })

  it('takes descriptions from JSDoc on the function, the variable statement and @param', () => {
    expect(get('getUser').description).toBe('Looks a user up by id.\n\nReturns the user as stored.')
    expect(param('getUser', 'id').description).toBe('The user\'s id.')
    expect(get('add').description).toBe('Adds two numbers.')
    expect(get('optionalAndDefaults').params.map(p => p.description)).toEqual(['always there', 'may be left out', undefined, 'a destructured parameter', undefined])
  })

  it('unwraps promises and async generators', () => {
    expect(get('fireAndForget').result).toEqual({ 'x-femto-type': 'undefined' })
    expect(get('stream').result).toEqual({ $ref: '#/$defs/Item' })
    expect(get('inferredStream').result).toMatchObject({ type: 'object', required: ['word', 'length'] })
  })

  it('warns with the position of the offending type', () => {
    const warnings = get('callbacks').warnings
    expect(warnings).toEqual([
      { file: UNSUPPORTED, line: lineOf(UNSUPPORTED, 'export async function callbacks'), column: 36, message: `parameter 'cb': a function type cannot cross the network; accepting any value` },
      { file: UNSUPPORTED, line: lineOf(UNSUPPORTED, 'export async function callbacks'), column: 57, message: `parameter 'handler': a function type cannot cross the network; accepting any value` },
      expect.objectContaining({ message: `parameter 'options', property 'onDone': a function type cannot cross the network; accepting any value` }),
    ])
    expect(param('callbacks', 'options').schema).toMatchObject({ properties: { onDone: {}, name: { type: 'string' } } })
    expect(get('generics').warnings.map(w => w.message)).toEqual([
      `parameter 'value': the type parameter 'T' is not known at build time; accepting any value`,
      `parameter 'list': the type parameter 'T' is not known at build time; accepting any value`,
      `result: the type parameter 'T' is not known at build time; accepting any value`,
    ])
  })

  it('finds a function from other positions Babel may report (the name, the directive)', () => {
    const line = lineOf(FORMS, 'export async function getUser')
    const addLine = lineOf(FORMS, 'export const add')
    const found = deriveSchemas({
      files: [FORMS],
      functions: [
        { name: 'getUser', file: FORMS, line, column: 22 },
        { name: 'add', file: FORMS, line: addLine, column: 13 },
        { name: 'addByDirective', file: FORMS, line: addLine + 1, column: 2 },
      ],
    })
    expect(found.get('getUser')).toEqual(get('getUser'))
    expect(found.get('add')).toEqual(get('add'))
    expect(found.get('addByDirective')).toEqual(get('add'))
  })

  it('takes the compiler options of the referenced project that holds the module (solution-style tsconfig)', () => {
    const root = join(FIXTURES, 'solution')
    const file = join(root, 'src/nullable.ts')
    const [fn] = locate(file)
    const schema = deriveSchemas({ files: [file], functions: [fn!], root }).get('nullable')!
    expect(schema.params.map(p => p.schema)).toEqual([{ type: ['string', 'null'] }, { type: 'number' }])
    expect(schema.result).toEqual({ type: ['string', 'null'] })
  })

  it('stops a generic that expands without end', () => {
    const file = join(FIXTURES, 'deep.ts')
    const schema = deriveSchemas({ files: [file], functions: locate(file), root: FIXTURES }).get('deep')!
    expect(schema.params[0]!.schema).toEqual({ $ref: '#/$defs/Deep_string' })
    expect(schema.warnings).toEqual([{ file, line: lineOf(file, 'next?:'), column: 9, message: `type 'Deep_Box_Box_string', property 'next': the generic type 'Deep' expands without end; accepting any value` }])
    expect(Object.keys(schema.defs)).toEqual(['Box_Box_string', 'Box_string', 'Deep_Box_Box_string', 'Deep_Box_string', 'Deep_string'])
  })

  it('parses a stand-in for the browser\'s libs, with the web types a server meets', () => {
    const domLib = (program: ts.Program): string | undefined => program.getSourceFiles().find(file => file.fileName.endsWith('/lib.dom.d.ts'))?.text
    // The tsconfig above the fixtures names DOM among its libs.
    expect(domLib(createSchemaProgram([FORMS], FIXTURES))?.length).toBeLessThan(10_000)
    expect(domLib(createSchemaProgram([FORMS], FIXTURES, undefined, 'full'))?.length).toBeGreaterThan(500_000)
    expect(nameMissingDeclaration(createSchemaProgram([FORMS, UNSUPPORTED], FIXTURES))).toBeUndefined()
  })

  it('derives with the browser\'s own libs when a type names something only they declare', () => {
    const file = join(FIXTURES, 'browser-types.ts')
    expect(nameMissingDeclaration(createSchemaProgram([file], FIXTURES))).toBe('KeyboardEvent')
    const schema = deriveSchemas({ files: [file], functions: locate(file), root: FIXTURES }).get('pressKey')!
    expect(schema.params.map(p => p.schema)).toEqual([{ type: 'string' }, binarySchema('File')])
    expect(schema.warnings).toEqual([])
  })

  it('loads every automatic @types package when a type names a global only one of them declares', () => {
    const root = join(FIXTURES, 'auto-types')
    const file = join(root, 'globals.ts')
    expect(nameMissingDeclaration(createSchemaProgram([file], root))).toBe('Express')
    expect(nameMissingDeclaration(createSchemaProgram([file], root, undefined, 'full'))).toBeUndefined()
    const schema = deriveSchemas({ files: [file], functions: locate(file), root }).get('withLocals')!
    expect(schema.params.map(p => p.schema)).toEqual([{ $ref: '#/$defs/Locals' }, { type: 'string' }])
    expect(schema.defs.Locals).toMatchObject({ type: 'object' })
  })

  it('reports a function it cannot find instead of throwing', () => {
    const result = deriveSchemas({ files: [FORMS], functions: [{ name: 'ghost', file: FORMS, line: 10_000, column: 0 }] })
    expect(result.get('ghost')).toMatchObject({ params: [], result: {}, defs: {}, warnings: [{ line: 10_000, message: expect.stringContaining(`function 'ghost'`) }] })
  })
})

describe('the schema program without Node\'s types', () => {
  // A tsconfig without `types`: TypeScript would load every @types package; the schema program
  // starts with none, and loads Node's (as it always did before) when the types may need them.
  const ROOT = join(FIXTURES, 'node-types')
  const fixture = (name: string): string => join(ROOT, name)
  const loadsNodeTypes = (program: ts.Program): boolean => program.getSourceFiles().some(file => /[\\/]node_modules[\\/]@types[\\/]node[\\/]/.test(file.fileName))
  /** What the derivation gave before this change: the program with Node's types, always. */
  const withNodeTypes = (file: string): Map<string, FunctionSchema> => deriveSchemasFromProgram(createSchemaProgram([file], ROOT, undefined, 'server-node'), locate(file))
  const withoutNodeTypes = (file: string): Map<string, FunctionSchema> => deriveSchemasFromProgram(createSchemaProgram([file], ROOT, undefined, 'server'), locate(file))

  it('leaves @types/node out when the types use only their own interfaces and the web types a server meets', () => {
    const file = fixture('own-types.ts')
    const { program, schemas } = deriveSchemasWithProgram({ files: [file], functions: locate(file), root: ROOT })
    expect(loadsNodeTypes(program)).toBe(false)
    expect(schemas).toEqual(withNodeTypes(file))
    expect(schemas.get('placeOrder')!.params.map(p => p.schema)).toEqual([{ $ref: '#/$defs/Order' }, binarySchema('File')])
    expect(schemas.get('receiptOf')!.result).toEqual(binarySchema('Uint8Array'))
    expect(schemas.get('placeOrder')!.defs.Order).toMatchObject({ properties: { placed: { 'x-femto-type': 'Date' } } })
  })

  it.each([
    ['a type names Node\'s globals (Buffer, NodeJS.*)', 'node-globals.ts'],
    ['a type comes from a Node module (node:http)', 'node-module.ts'],
    ['an inferred result reads process.env', 'process-env.ts'],
    ['an inferred result calls readFileSync from node:fs', 'read-file.ts'],
    ['a type is ReturnType<typeof setTimeout>', 'timer.ts'],
    ['a Node module\'s value picks an overload (no error type is written)', 'node-overload.ts'],
    ['a type is keyof a Node type (no error type is written)', 'node-keyof.ts'],
  ])('derives with Node\'s types when %s, as before', (_, name) => {
    const file = fixture(name)
    const { program, schemas } = deriveSchemasWithProgram({ files: [file], functions: locate(file), root: ROOT })
    expect(loadsNodeTypes(program)).toBe(true)
    expect(schemas).toEqual(withNodeTypes(file))
    // Without them, the schemas would differ: the case needs the fallback.
    expect(withoutNodeTypes(file)).not.toEqual(schemas)
  })

  it('derives again, with Node\'s types, once an edit names Buffer (the schema cache sees the edit)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-node-types-'))
    try {
      copyFileSync(fixture('tsconfig.json'), join(dir, 'tsconfig.json'))
      symlinkSync(join(import.meta.dirname, '../../node_modules'), join(dir, 'node_modules'))
      const file = join(dir, 'own-types.ts')
      copyFileSync(fixture('own-types.ts'), file)
      const before = deriveSchemasWithDependencies({ files: [file], functions: locate(file), root: dir })
      expect(Object.keys(before.dependencies.files).some(path => path.includes('@types/node'))).toBe(false)
      writeFileSync(file, readFileSync(file, 'utf8').replace('receiptOf(id: string)', 'receiptOf(id: string, salt: Buffer)'))
      expect(staleDependency(before.dependencies)).toMatch(/own-types\.ts changed/)
      const after = deriveSchemasWithDependencies({ files: [file], functions: locate(file), root: dir })
      expect(Object.keys(after.dependencies.files).some(path => path.includes('@types/node'))).toBe(true)
      expect(after.schemas).toEqual(deriveSchemasFromProgram(createSchemaProgram([file], dir, undefined, 'server-node'), locate(file)))
      expect(after.schemas).not.toEqual(deriveSchemasFromProgram(createSchemaProgram([file], dir, undefined, 'server'), locate(file)))
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
