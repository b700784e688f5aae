import { basename } from 'node:path'

export { upperSnake } from '../../runtime/shared/service-env'

const ASCII_IDENTIFIER = /^[A-Z_$][\w$]*$/i
export const RESERVED_NAMES = new Set(['router', 'monolith'])

export function isValidServiceName(name: string): boolean {
  return ASCII_IDENTIFIER.test(name) && !RESERVED_NAMES.has(name)
}

/** `send-email.ts` → `sendEmail`; the name of an anonymous default export. */
export function camelCaseFileName(file: string): string {
  const stem = basename(file).replace(/\.[^.]*$/, '')
  return stem.replace(/[-_.\s]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))
}

/** An alias to suggest for a name that cannot be a service name. */
export function suggestAlias(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[^\w$]/g, '')
  const base = ascii && /^[A-Z_$]/i.test(ascii) ? ascii : `fn${ascii}`
  return RESERVED_NAMES.has(base) ? `${base}Fn` : base
}
