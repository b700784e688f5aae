/** What a bundle reads from its environment, found in its code without running it. */
export interface EnvUse {
  /** Variables read by name: `process.env.NAME`, `process.env['NAME']`, `import.meta.env.NAME`, `const { NAME } = process.env`. */
  names: string[]
  /** `process.env[variable]` or the whole `process.env` passed on: which names it reads cannot be known. */
  dynamic: boolean
}

// The runtime's own variables: every service reads them, they are not its secrets.
const RUNTIME_VARIABLES = /^(?:PORT|HOST|NODE_ENV|FEMTO_\w+|OTEL_\w+)$/

// `globalThis.process.env` is how the femto runtime reads FEMTO_URL_<NAME> by a computed name:
// it is not the function's own reading, so it is not counted.

// `globalThis.process.env` is how the femto runtime reads FEMTO_URL_<NAME> by a computed name:
// it is not the function's own reading, so it is not counted.
const ENV = String.raw`(?:(?<!globalThis\.)process\.env|import\.meta\.env)`
const DOT = new RegExp(String.raw`${ENV}\??\.([A-Z_$][\w$]*)`, 'gi')
const BRACKET = new RegExp(String.raw`${ENV}\??\.?\[\s*(['"\x60])([^'"\x60]+)\1\s*\]`, 'g')
const DYNAMIC = new RegExp(String.raw`${ENV}\??\.?\[\s*[^'"\x60\s]`, 'g')
const DESTRUCTURED = /\{([^{}]*)\}\s*=\s*(?:process\.env|import\.meta\.env)\b/g
// The whole object used as a value (passed on, assigned, spread): anything not followed by a key.
const PASSED_ON = new RegExp(String.raw`${ENV}(?![\s?.]*[\w$[])`, 'g')

/**
 * The environment variables a service's bundle reads, for a deploy that gives each service only
 * its own secrets. Static and conservative: dynamic reads are flagged, not guessed.
 */
export function envVarsRead(code: string): EnvUse {
  const names = new Set<string>()
  for (const match of code.matchAll(DOT))
    names.add(match[1]!)
  for (const match of code.matchAll(BRACKET))
    names.add(match[2]!)
  for (const match of code.matchAll(DESTRUCTURED)) {
    for (const part of match[1]!.split(',')) {
      const key = part.split(/[:=]/)[0]!.trim()
      if (/^[A-Z_$][\w$]*$/i.test(key))
        names.add(key)
    }
  }
  const withoutDestructuring = code.replace(DESTRUCTURED, '')
  const dynamic = DYNAMIC.test(code) || PASSED_ON.test(withoutDestructuring)
  DYNAMIC.lastIndex = 0
  PASSED_ON.lastIndex = 0
  return { names: [...names].filter(name => !RUNTIME_VARIABLES.test(name)).sort(), dynamic }
}
