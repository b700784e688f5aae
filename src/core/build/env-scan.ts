/** What a bundle reads from its environment, found in its code without running it. */
export interface EnvUse {
  /** Variables read by name: `process.env.NAME`, `process.env['NAME']`, `import.meta.env.NAME`, `const { NAME } = process.env`. */
  names: string[]
  /** `process.env[variable]` or the whole `process.env` passed on: which names it reads cannot be known. */
  dynamic: boolean
}

// The runtime's own variables: every service reads them, they are not its secrets.
const RUNTIME_VARIABLES = /^(?:PORT|HOST|NODE_ENV|FEMTO_\w+|OTEL_\w+)$/

// The femto runtime takes the environment in one line (runtime/server/env.ts), which is skipped:
// its reads (PORT, FEMTO_URL_<NAME> by a computed name, …) are not the function's.
const RUNTIME_LINE = /\bfemtoRuntimeEnv(?:\$\d+)?\s*=\s*globalThis\.$/
const ENV = String.raw`(?:process\??\.env|import\.meta\.env)`
// Every place the environment is named. A bundle of 100 KB names it a few times: each check
// below runs at those places only, not over the whole text (1000 services scanned whole, with a
// regular expression each, took ~4 s of a 25 s build).
const OCCURRENCE = /process\??\.env|import\.meta\.env/g
// Sticky: each matches at an occurrence or not at all.
const DOT = new RegExp(String.raw`${ENV}\??\.([A-Za-z_$][\w$]*)`, 'y')
// A quoted key, or a template literal without substitutions.
const BRACKET = new RegExp(String.raw`${ENV}\??\.?\[\s*(?:(['"])([^'"]+)\1|\x60([^\x60$]+)\x60)\s*\]`, 'y')
const DYNAMIC = new RegExp(String.raw`${ENV}\??\.?\[\s*(?:[^'"\x60\s]|\x60[^\x60]*\$\{)`, 'y')
// The whole object used as a value (passed on, assigned, spread): anything not followed by a key.
const PASSED_ON = new RegExp(String.raw`${ENV}(?![\s?.]*[\w$[])`, 'y')
// `{ A, B: b, C = "1" } = ` just before an occurrence (read backwards from it).
const ASSIGNED = /\}\s*=\s*$/

/**
 * The environment variables a service's bundle reads, for a deploy that gives each service only
 * its own secrets. Static and conservative: dynamic reads are flagged, not guessed.
 */
export function envVarsRead(bundle: string): EnvUse {
  const names = new Set<string>()
  let dynamic = false
  for (const occurrence of bundle.matchAll(OCCURRENCE)) {
    const at = occurrence.index
    const before = bundle.slice(Math.max(0, at - 64), at)
    if (RUNTIME_LINE.test(before) && occurrence[0] === 'process.env' && !/[\w$]/.test(bundle[at + 11] ?? ''))
      continue
    const dot = matchAt(DOT, bundle, at)
    if (dot)
      names.add(dot[1]!)
    const bracket = matchAt(BRACKET, bundle, at)
    if (bracket)
      names.add(bracket[2] ?? bracket[3]!)
    dynamic ||= matchAt(DYNAMIC, bundle, at) !== null
    const destructured = /[\w$]/.test(bundle[at + occurrence[0].length] ?? '') ? undefined : destructuredBefore(bundle, at)
    if (destructured === undefined) {
      dynamic ||= matchAt(PASSED_ON, bundle, at) !== null
      continue
    }
    for (const part of destructured.split(',')) {
      const key = part.split(/[:=]/)[0]!.trim()
      if (key.startsWith('...'))
        dynamic = true
      else if (/^[A-Z_$][\w$]*$/i.test(key))
        names.add(key)
    }
  }
  return { names: [...names].filter(name => !RUNTIME_VARIABLES.test(name)).sort(), dynamic }
}

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at
  return pattern.exec(text)
}

/** The inside of `{ … }` when the occurrence at `at` is the right side of `{ … } = `. */
function destructuredBefore(bundle: string, at: number): string | undefined {
  const from = Math.max(0, at - 64)
  const assigned = ASSIGNED.exec(bundle.slice(from, at))
  if (!assigned)
    return undefined
  const close = from + assigned.index
  const open = bundle.lastIndexOf('{', close)
  const inside = bundle.slice(open + 1, close)
  return open < 0 || inside.includes('}') ? undefined : inside
}
