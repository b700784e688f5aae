import { ID } from './runtime-helpers'

/** Inherited by every plain object, so reading them needs an own-property check. */
const INHERITED_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype))

/** `constructor`, `__proto__`, `toString`…: a plain read would find Object.prototype's. */
export function isInheritedKey(name: string): boolean {
  return INHERITED_KEYS.has(name)
}

/** `x.name`, or `x["a-b"]` for a name that is not an identifier. */
export function plainRead(value: string, name: string): string {
  return ID.test(name) ? `${value}.${name}` : `${value}[${JSON.stringify(name)}]`
}

/** Reads an own property of a plain object, in a condition. */
export function ownRead(value: string, name: string): string {
  const key = JSON.stringify(name)
  if (isInheritedKey(name))
    return `(Object.hasOwn(${value}, ${key}) ? ${value}[${key}] : undefined)`
  return plainRead(value, name)
}
