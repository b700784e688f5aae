import type { FunctionSchema, JsonSchema } from '../../src/core/schema/types'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'tsdown'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileValidator as fromSource } from '../../src/core/schema/validator'

type Compile = (schema: FunctionSchema) => string
type Validate = (args: unknown[]) => string | undefined

// The runtime helpers reach a validator as the text of functions, and that text is whatever
// tsdown made of them: this builds the package as it ships and checks the validators it compiles.
const out = mkdtempSync(join(tmpdir(), 'femto-validator-'))
let fromBundle: Compile

beforeAll(async () => {
  await build({ outDir: out, dts: false, logLevel: 'silent', report: false })
  const chunk = readdirSync(out).find(file => file.endsWith('.js') && readFileSync(join(out, file), 'utf8').includes('function compileValidator('))
  expect(chunk, 'no chunk of the build defines compileValidator').toBeDefined()
  const exports = await import(pathToFileURL(join(out, chunk!)).href) as Record<string, unknown>
  fromBundle = Object.values(exports).find(value => typeof value === 'function' && value.name === 'compileValidator') as Compile
})

afterAll(() => rmSync(out, { recursive: true, force: true }))

function param(name: string, schema: JsonSchema) {
  return { name, optional: false, rest: false, schema }
}

/** One parameter per runtime helper: each reaches the validator only through one of these. */
const SCHEMA: FunctionSchema = {
  params: [
    param('at', { 'type': 'string', 'format': 'date-time', 'x-femto-type': 'Date' }),
    param('n', { 'type': 'string', 'x-femto-type': 'bigint' }),
    param('u', { 'type': 'string', 'format': 'uri', 'x-femto-type': 'URL' }),
    param('o', { type: 'object', properties: { a: { type: 'number' } }, required: ['a'], additionalProperties: false }),
    param('c', { enum: [{ a: [1] }, 'x'] }),
  ],
  result: true,
  defs: {},
  warnings: [],
}

const GOOD: unknown[] = ['2024-02-29T10:00:00Z', '12', 'https://example.com/', { a: 1 }, { a: [1] }]
const BAD: [number, unknown, string][] = [
  [0, '2023-02-29', '$.at: expected Date'],
  [1, '1.5', '$.n: expected bigint'],
  [2, 'not a url', '$.u: expected URL'],
  [3, Object.assign(Object.create(null), { 'a': 1, 'b-c': 2 }), '$.o["b-c"]: unexpected property'],
  [3, [1], '$.o: expected object'],
  [4, { a: [2] }, '$.c: expected {"a":[1]} | "x"'],
]

function evaluate(code: string): Validate {
  // eslint-disable-next-line no-new-func
  return new Function(`return ${code}`)() as Validate
}

describe('the validator compiled by the bundled package', () => {
  it('inlines every runtime helper as tsdown compiled it', () => {
    const code = fromBundle(SCHEMA)
    for (const helper of ['isPlain', 'pk', 'isDate', 'isBig', 'isUrl', 'eq'])
      expect(code).toContain(`function ${helper}(`)
    for (const constant of ['ID', 'ISO', 'INT'])
      expect(code).toContain(`var ${constant} = /`)
  })

  it('gives the verdicts and conversions of the one compiled from source', () => {
    const bundled = evaluate(fromBundle(SCHEMA))
    const source = evaluate(fromSource(SCHEMA))
    const args = [...GOOD]
    expect(bundled(args)).toBeUndefined()
    expect(args[0]).toEqual(new Date('2024-02-29T10:00:00Z'))
    expect(args[1]).toBe(12n)
    expect(args[2]).toBeInstanceOf(URL)
    for (const [index, value, error] of BAD) {
      const wrong = GOOD.with(index, value)
      expect(bundled([...wrong])).toBe(error)
      expect(source([...wrong])).toBe(error)
    }
  })
})
