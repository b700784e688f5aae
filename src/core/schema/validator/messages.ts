import { pk } from './runtime-helpers'

/**
 * Error messages are `<path>: <text>`, e.g. `$.lines[0].qty: expected number`. Helper functions
 * (named types, union branches) return theirs relative to their value, and the caller prefixes
 * its own path.
 */

/** A location in the arguments: static text, or a JavaScript expression evaluated only when reporting. */
export type PathPart = string | { js: string }

/** The message `<path>: <text>` as a JavaScript string expression. */
export function message(path: PathPart[], text: string): string {
  return concat(path, `: ${text}`)
}

/** The path followed by the relative error in the variable `error`. */
export function prefixed(path: PathPart[], error: string): string {
  return path.length === 0 ? error : `${concat(path, '')} + ${error}`
}

/** Adjacent static parts become one string literal, through `JSON.stringify`, so no name can inject code. */
function concat(path: PathPart[], tail: string): string {
  const pieces: string[] = []
  let text = ''
  for (const part of path) {
    if (typeof part === 'string') {
      text += part
      continue
    }
    if (text)
      pieces.push(JSON.stringify(text))
    text = ''
    pieces.push(part.js)
  }
  text += tail
  if (text || pieces.length === 0)
    pieces.push(JSON.stringify(text))
  return pieces.join(' + ')
}

/** `.name` or `["not an identifier"]`: the runtime helper itself, so paths read the same whichever side writes them. */
export const propertyPath: (name: string) => string = pk
