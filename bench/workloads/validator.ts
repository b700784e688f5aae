import type { FunctionSchema, JsonSchema } from '../../src/core/schema/types'
import { compileValidator } from '../../src/core/schema/validator'

export interface ValidatorMeasurement {
  name: string
  /** Mean time of one call of the generated validator on valid arguments. */
  nsPerCall: number
  /** Size of the generated source, as embedded in a service. */
  codeBytes: number
}

interface Case {
  name: string
  schema: FunctionSchema
  args: unknown[]
}

const LINE: JsonSchema = {
  type: 'object',
  properties: { sku: { type: 'string' }, qty: { type: 'integer' }, price: { type: 'number' } },
  required: ['sku', 'qty', 'price'],
  additionalProperties: false,
}

const ORDER: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    customer: { type: 'string' },
    status: { enum: ['new', 'paid', 'shipped'] },
    express: { type: 'boolean' },
    lines: { type: 'array', items: LINE },
  },
  required: ['id', 'customer', 'status', 'lines'],
  additionalProperties: false,
}

function functionSchema(params: [string, JsonSchema][]): FunctionSchema {
  return { params: params.map(([name, schema]) => ({ name, optional: false, rest: false, schema })), result: true, defs: {}, warnings: [] }
}

const CASES: Case[] = [
  {
    name: '(a: number, b: number)',
    schema: functionSchema([['a', { type: 'number' }], ['b', { type: 'number' }]]),
    args: [2, 3],
  },
  {
    name: '(order: Order) with 5 fields and 3 lines',
    schema: functionSchema([['order', ORDER]]),
    // Parsed, as a service gets it: objects from JSON.parse have other shapes than literals.
    args: JSON.parse(JSON.stringify([{
      id: 'o-1',
      customer: 'c-9',
      status: 'paid',
      express: false,
      lines: [{ sku: 'a', qty: 1, price: 9.5 }, { sku: 'b', qty: 2, price: 3 }, { sku: 'c', qty: 10, price: 0.25 }],
    }])),
  },
]

/**
 * Compiles and evaluates the validators of a few typical signatures, as a service does, and times
 * them on valid arguments. `calls` per case; a fraction of it first, to let V8 optimize.
 */
export function measureValidator(calls = 1_000_000): ValidatorMeasurement[] {
  return CASES.map(c => measure(c, calls))
}

function measure({ name, schema, args }: Case, calls: number): ValidatorMeasurement {
  const code = compileValidator(schema)
  // eslint-disable-next-line no-new-func
  const validate = new Function(`return ${code}`)() as (args: unknown[]) => string | undefined
  run(validate, args, Math.max(1, Math.floor(calls / 10)))
  const start = process.hrtime.bigint()
  run(validate, args, calls)
  const elapsed = Number(process.hrtime.bigint() - start)
  return { name, nsPerCall: elapsed / calls, codeBytes: Buffer.byteLength(code) }
}

function run(validate: (args: unknown[]) => string | undefined, args: unknown[], calls: number): void {
  let failures = 0
  for (let i = 0; i < calls; i++) {
    if (validate(args) !== undefined)
      failures++
  }
  // Also keeps the calls from being optimized away.
  if (failures > 0)
    throw new Error(`the measured arguments are invalid: ${validate(args)}`)
}
