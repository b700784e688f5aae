/** What a bundle reads from its environment, found in its code without running it. */
export interface EnvUse {
  /** Variables read by name: `process.env.NAME`, `process.env['NAME']`, `import.meta.env.NAME`, `const { NAME } = process.env`. */
  names: string[]
  /** `process.env[variable]` or the whole `process.env` passed on: which names it reads cannot be known. */
  dynamic: boolean
}

// The runtime's own variables: every service reads them, they are not its secrets.
const RUNTIME_VARIABLES = /^(?:PORT|HOST|NODE_ENV|FEMTO_\w+|OTEL_\w+)$/

// The femto runtime takes the environment in one line (runtime/server/env.ts), which is removed
// before scanning: its reads (PORT, FEMTO_URL_<NAME> by a computed name, …) are not the function's.
const RUNTIME_LINE = /\bfemtoRuntimeEnv(?:\$\d+)?\s*=\s*globalThis\.process\.env\b/g
const ENV = String.raw`(?:process\??\.env|import\.meta\.env)`
const DOT = new RegExp(String.raw`${ENV}\??\.([A-Z_$][\w$]*)`, 'gi')
// A quoted key, or a template literal without substitutions.
const BRACKET = new RegExp(String.raw`${ENV}\??\.?\[\s*(?:(['"])([^'"]+)\1|\x60([^\x60$]+)\x60)\s*\]`, 'g')
const DYNAMIC = new RegExp(String.raw`${ENV}\??\.?\[\s*(?:[^'"\x60\s]|\x60[^\x60]*\$\{)`, 'g')
const DESTRUCTURED = /\{([^{}]*)\}\s*=\s*(?:process\??\.env|import\.meta\.env)\b/g
// The whole object used as a value (passed on, assigned, spread): anything not followed by a key.
const PASSED_ON = new RegExp(String.raw`${ENV}(?![\s?.]*[\w$[])`, 'g')

/**
 * The environment variables a service's bundle reads, for a deploy that gives each service only
 * its own secrets. Static and conservative: dynamic reads are flagged, not guessed.
 */
export function envVarsRead(bundle: string): EnvUse {
  const code = bundle.replace(RUNTIME_LINE, '')
  const names = new Set<string>()
  let rest = false
  for (const match of code.matchAll(DOT))
    names.add(match[1]!)
  for (const match of code.matchAll(BRACKET))
    names.add(match[2] ?? match[3]!)
  for (const match of code.matchAll(DESTRUCTURED)) {
    for (const part of match[1]!.split(',')) {
      const key = part.split(/[:=]/)[0]!.trim()
      if (key.startsWith('...'))
        rest = true
      else if (/^[A-Z_$][\w$]*$/i.test(key))
        names.add(key)
    }
  }
  const withoutDestructuring = code.replace(DESTRUCTURED, '')
  const dynamic = rest || DYNAMIC.test(code) || PASSED_ON.test(withoutDestructuring)
  DYNAMIC.lastIndex = 0
  PASSED_ON.lastIndex = 0
  return { names: [...names].filter(name => !RUNTIME_VARIABLES.test(name)).sort(), dynamic }
}
