import { describe, expect, it } from 'vitest'
import { rememberShape, sourceShape } from '../../src/core/schema/source-shape'

// The schema cache compares a project's module by its shape (src/core/schema/source-shape.ts)
// when its text changed: equal shapes must mean no type the schemas can see changed.

function same(before: string, after: string, path = '/app/src/tax.ts'): boolean {
  const a = sourceShape(path, before)
  const b = sourceShape(path, after)
  expect(a).toBeDefined()
  expect(b).toBeDefined()
  return a === b
}

const TAX = `import type { Region } from './types'

const RATE = 0.2

export async function tax(amount: number, region: Region): Promise<{ net: number, tax: number, region: Region }> {
  'use femto'
  return { net: amount, tax: amount * RATE, region }
}
`

describe('sourceShape', () => {
  it('is the same after an edit of a fully annotated function\'s body, and of a private constant only such bodies use', () => {
    expect(same(TAX, TAX.replace('amount * RATE', 'Math.round(amount * RATE)'))).toBe(true)
    expect(same(TAX, TAX.replace('const RATE = 0.2', 'const RATE = 0.25'))).toBe(true)
    const methods = 'export class Prices {\n  total(a: number, b: number = 1): number {\n    return a + b\n  }\n  get label(): string { return "x" }\n}\n'
    expect(same(methods, methods.replace('a + b', 'a * b').replace('"x"', '"yz"'))).toBe(true)
  })

  it('changes with a signature, a type, or a body whose result type is inferred', () => {
    expect(same(TAX, TAX.replace('amount: number', 'amount: string'))).toBe(false)
    expect(same(TAX, TAX.replace('tax: number, region', 'tax: bigint, region'))).toBe(false)
    const inferred = 'export async function tax(amount: number) {\n  \'use femto\'\n  return amount * 2\n}\n'
    expect(same(inferred, inferred.replace('amount * 2', 'String(amount)'))).toBe(false)
    const arrow = 'export const half = (n: number) => n / 2\n'
    expect(same(arrow, arrow.replace('n / 2', 'String(n)'))).toBe(false)
    const untypedParam = 'export function f(n, m: number): number {\n  return m\n}\n'
    expect(same(untypedParam, untypedParam.replace('return m', 'return m + 1'))).toBe(false)
  })

  it('keeps a constant a type can name: through typeof, an export, or a body whose type is inferred', () => {
    const typed = `${TAX}export type Rate = typeof RATE\n`
    expect(same(typed, typed.replace('0.2', '0.3'))).toBe(false)
    const exported = TAX.replace('const RATE', 'export const RATE')
    expect(same(exported, exported.replace('0.2', '0.3'))).toBe(false)
    const used = `${TAX}export function rate() {\n  return RATE\n}\n`
    expect(same(used, used.replace('0.2', '0.3'))).toBe(false)
    const annotatedButNamed = 'const RATE: 0.2 | 0.3 = 0.2\nexport type Rate = typeof RATE\n'
    expect(same(annotatedButNamed, annotatedButNamed.replace('= 0.2', '= 0.3'))).toBe(false)
  })

  it('keeps a body that declares a femto function of its own', () => {
    const nested = 'export function outer(): void {\n  async function inner(n: number): Promise<number> {\n    \'use femto\'\n    return n\n  }\n}\n'
    expect(same(nested, nested.replace('inner(n: number)', 'inner(n: string)'))).toBe(false)
  })

  it('keeps every position a warning can name: line counts, and widths where more than punctuation follows', () => {
    expect(same(TAX, TAX.replace('  return {', '\n  return {'))).toBe(false)
    const oneLine = 'function f(): number { return 1 } export interface X { a: string }\n'
    expect(same(oneLine, oneLine.replace('return 1', 'return 12'))).toBe(false)
    const closing = 'function f(): number { return 1 }; // done\nexport interface X { a: string }\n'
    expect(same(closing, closing.replace('return 1', 'return 12'))).toBe(true)
  })

  it('has none for what is not the project\'s TypeScript, or does not parse', () => {
    expect(sourceShape('/app/src/types.d.ts', 'export type A = string\n')).toBeUndefined()
    expect(sourceShape('/app/node_modules/lib/index.ts', 'export const a = 1\n')).toBeUndefined()
    expect(sourceShape('/app/package.json', '{}')).toBeUndefined()
    expect(sourceShape('/app/src/broken.ts', 'export function (\n')).toBeUndefined()
  })

  it('takes a shape made on the analysis thread for the text it was made of, and parses any other', () => {
    const edited = TAX.replace('0.2', '0.25')
    // Not a shape any parse would give: proof that it was taken, not made again.
    rememberShape('C:\\app\\src\\tax.ts', edited, 'made elsewhere')
    expect(sourceShape('C:/app/src/tax.ts', edited)).toBe('made elsewhere')
    expect(sourceShape('C:/app/src/tax.ts', TAX)).toBe(sourceShape('/app/src/tax.ts', TAX))
    expect(sourceShape('C:/app/src/tax.ts', TAX)).not.toBe('made elsewhere')
    rememberShape('/app/src/broken.ts', 'export function (\n', undefined)
    expect(sourceShape('/app/src/broken.ts', 'export function (\n')).toBeUndefined()
  })
})
