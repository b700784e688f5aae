import { eq, ID, INT, isBig, isDate, ISO, isPlain, isUrl, pk } from './runtime-helpers'

/**
 * The runtime helpers as the validator declares them, in this order (a helper after what it
 * uses). Their text is taken from the functions themselves, so what runs in a service is what
 * runtime-helpers.ts type-checks and its tests exercise.
 */
const DEFINITIONS = { isPlain, ID, pk, ISO, isDate, INT, isBig, isUrl, eq }

export type HelperName = keyof typeof DEFINITIONS

const NAMES = Object.keys(DEFINITIONS) as HelperName[]

export interface HelperSource {
  code: string
  /** The other helpers its code calls or reads, declared along with it. */
  uses: HelperName[]
}

let sources: Record<HelperName, HelperSource> | undefined

/** Read once, at the first validator that needs a helper. */
export function helperSource(name: HelperName): HelperSource {
  sources ??= Object.fromEntries(NAMES.map(n => [n, sourceOf(n, DEFINITIONS[n])])) as Record<HelperName, HelperSource>
  return sources[name]
}

/** The declarations of these helpers, in declaration order. */
export function helperDeclarations(used: ReadonlySet<string>): string[] {
  return NAMES.filter(name => used.has(name)).map(name => helperSource(name).code)
}

/** How the validator declares a helper defined as `definition`; exported for its tests. */
export function sourceOf(name: HelperName, definition: RegExp | ((...args: never[]) => unknown)): HelperSource {
  if (definition instanceof RegExp)
    return { code: `var ${name} = ${String(definition)}`, uses: [] }
  const code = definition.toString()
  // A bundler that renamed a helper (`isDate$1`) or what it refers to would make a validator
  // that fails at run time, only on the inputs that reach that helper: refuse to build instead.
  if (!code.startsWith(`function ${name}(`) || NAMES.some(other => mentions(code, `${other}$`)))
    throw new Error(`cannot compile a validator: the runtime helper ${name} was renamed when unplugin-femto was bundled:\n${code}`)
  return { code, uses: NAMES.filter(other => other !== name && mentions(code, other)) }
}

/** Whether `code` contains `name` as an identifier (or the start of one, when `name` ends in `$`). */
function mentions(code: string, name: string): boolean {
  const escaped = name.replaceAll('$', '\\$')
  return new RegExp(`(?<![\\w$.])${escaped}${name.endsWith('$') ? '' : '(?![\\w$])'}`).test(code)
}
