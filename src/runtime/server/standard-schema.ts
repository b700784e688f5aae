import type { ServedFunction, StandardSchema } from './types'
import { MAX_ARGUMENTS } from './args'
import { WireError } from './outcome'

/**
 * A Standard Schema validates the named-arguments object (what a zod or valibot `object` schema
 * describes); its output, transformed as the schema says, becomes the arguments.
 */
export async function standardArgs(fn: ServedFunction, schema: StandardSchema, args: unknown[]): Promise<unknown[]> {
  const named: Record<string, unknown> = {}
  fn.params.forEach((p, i) => {
    const value = p.rest ? args.slice(i) : args[i]
    if (value !== undefined)
      named[p.name] = value
  })
  const result = await schema['~standard'].validate(named)
  if (result.issues) {
    const [issue] = result.issues
    const path = (issue?.path ?? []).map(step => (typeof step === 'object' ? step.key : step))
    const where = path.map(key => (typeof key === 'number' ? `[${key}]` : /^[A-Z_$][\w$]*$/i.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`)).join('')
    throw new WireError('INVALID_ARGUMENT', `$${where}: ${issue?.message ?? 'invalid'}`)
  }
  if (result.value === null || typeof result.value !== 'object')
    throw new TypeError(`the validator's output is not an object of named arguments`)
  const value = result.value as Record<string, unknown>
  const checked: unknown[] = []
  fn.params.forEach((p) => {
    if (!p.rest)
      return void checked.push(value[p.name])
    const rest = (value[p.name] as unknown[] | undefined) ?? []
    for (let i = 0; i < rest.length && checked.length < MAX_ARGUMENTS; i++)
      checked.push(rest[i])
  })
  while (checked.length > args.length && checked.at(-1) === undefined)
    checked.pop()
  return checked
}
