import type { ParamSpec, ServedFunction } from './types'
import { WireError } from './outcome'

/**
 * The arguments of a call from its decoded JSON body: an array of positional arguments, or an
 * object of named ones keyed by the parameter names in the source.
 */
/**
 * More arguments than any function takes in practice: past it a call is refused before anything
 * is spread or copied (the rich encoding can declare a sparse array of 2³²−1 items in a few bytes,
 * and spreading ~125k values overflows the stack).
 */
export const MAX_ARGUMENTS = 10_000

export function argsFromBody(fn: ServedFunction, body: unknown): unknown[] {
  const { params } = fn
  if (Array.isArray(body) && body.length > MAX_ARGUMENTS)
    throw new WireError('INVALID_ARGUMENT', `${fn.name} was sent ${body.length} arguments; a call takes at most ${MAX_ARGUMENTS}`)
  if (Array.isArray(body)) {
    const hasRest = params.at(-1)?.rest === true
    if (!hasRest && body.length > params.length)
      throw new WireError('INVALID_ARGUMENT', `${fn.name} takes ${describeArity(params)}, got ${body.length}`)
    const missing = params.findIndex((p, i) => !p.optional && i >= body.length)
    if (missing >= 0)
      throw new WireError('INVALID_ARGUMENT', `${fn.name} is missing argument '${params[missing]!.name}' (position ${missing}); it takes ${describeArity(params)}`)
    return body
  }
  if (body === null || typeof body !== 'object')
    throw new WireError('INVALID_ARGUMENT', `the body must be a JSON array of positional arguments or an object of named arguments (${params.map(p => p.name).join(', ') || 'none'})`)
  const named = body as Record<string, unknown>
  for (const key of Object.keys(named)) {
    if (!params.some(p => p.name === key))
      throw new WireError('INVALID_ARGUMENT', `${fn.name} has no parameter '${key}'; it takes (${params.map(p => p.name).join(', ')})`)
  }
  const args: unknown[] = []
  let last = -1
  params.forEach((p, i) => {
    const present = Object.hasOwn(named, p.name)
    if (!present) {
      if (!p.optional)
        throw new WireError('INVALID_ARGUMENT', `${fn.name} is missing argument '${p.name}'`)
      args.push(undefined)
      return
    }
    if (p.rest) {
      const rest = named[p.name]
      if (!Array.isArray(rest))
        throw new WireError('INVALID_ARGUMENT', `'${p.name}' collects the rest of the arguments, so it must be an array`)
      if (args.length + rest.length > MAX_ARGUMENTS)
        throw new WireError('INVALID_ARGUMENT', `'${p.name}' has ${rest.length} values; a call takes at most ${MAX_ARGUMENTS} arguments`)
      for (let i = 0; i < rest.length; i++)
        args.push(rest[i])
      last = args.length - 1
      return
    }
    args.push(named[p.name])
    last = i
  })
  // Trailing absent optionals are dropped, so default parameters apply exactly as in a local call.
  args.length = last + 1
  return args
}

function describeArity(params: ParamSpec[]): string {
  const required = params.filter(p => !p.optional).length
  const max = params.at(-1)?.rest ? Infinity : params.length
  const list = `(${params.map(p => (p.rest ? `...${p.name}` : p.optional ? `${p.name}?` : p.name)).join(', ')})`
  if (max === Infinity)
    return `at least ${required} argument${required === 1 ? '' : 's'} ${list}`
  if (required === max)
    return `${max} argument${max === 1 ? '' : 's'} ${list}`
  return `${required} to ${max} arguments ${list}`
}
