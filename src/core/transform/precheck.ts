// The cheap pre-check, kept apart from the parser so that a build without the directive never
// loads Babel: it decides, from the text alone, whether a module is worth parsing.

export const DIRECTIVE = 'use femto'

/** Script modules the plugin may parse (an `?query` suffix allowed). */
export const SCRIPT_ID = /\.[cm]?[jt]sx?(?:\?.*)?$/

export function mayHaveDirective(code: string): boolean {
  return code.includes(DIRECTIVE)
}
