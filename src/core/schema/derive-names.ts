import type ts from 'typescript'
import { basename } from 'node:path'

/**
 * Names of the `$defs` of one build. Names are shared by all functions of the build, so a type
 * has the same name in every function's defs and the OpenAPI writer can merge them; two
 * different types spelled the same (`User` in two modules) get distinct names, the second one
 * suffixed with its module's name (`User_billing`).
 */
export class DefNames {
  private readonly byType = new Map<ts.Type, string>()
  private readonly taken = new Set<string>()

  /** `argumentNames` spell the type arguments of a generic instantiation: `Page<Item>` is `Page_Item`. */
  nameOf(type: ts.Type, symbol: ts.Symbol, argumentNames: readonly string[]): string {
    const known = this.byType.get(type)
    if (known)
      return known
    const base = [symbol.name, ...argumentNames].map(sanitize).filter(Boolean).join('_') || 'Type'
    let name = base
    const file = symbol.declarations?.[0]?.getSourceFile().fileName
    if (this.taken.has(name) && file)
      name = `${base}_${sanitize(basename(file).replace(/\.[^.]*$/, ''))}`
    for (let n = 2; this.taken.has(name); n++)
      name = `${base}_${n}`
    this.taken.add(name)
    this.byType.set(type, name)
    return name
  }
}

/** JSON pointers and OpenAPI component names both accept `[A-Za-z0-9_]`. */
export function sanitize(text: string): string {
  return text.replace(/\[\]/g, 'Array').replace(/\W+/g, '_').replace(/^_+|_+$/g, '')
}
