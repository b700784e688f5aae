import type { ParamSpec, ServedFunction } from './types'
import { WireError } from './outcome'

/**
 * The arguments of a call from its decoded JSON body: an array of positional arguments, or an
 * object of named ones keyed by the parameter names in the source.
 */
export function argsFromBody(fn: ServedFunction, body: unknown): unknown[] {
  const { params } = fn
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
      if (!Array.isArray(named[p.name]))
        throw new WireError('INVALID_ARGUMENT', `'${p.name}' collects the rest of the arguments, so it must be an array`)
      args.push(...(named[p.name] as unknown[]))
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
