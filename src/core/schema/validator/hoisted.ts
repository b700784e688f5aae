import type { HelperName } from './helper-sources'
import { helperDeclarations, helperSource } from './helper-sources'

/**
 * What a validator declares once, in the IIFE around its entry function: runtime helpers,
 * constants (regexes, sets, object values) and the functions of named types, union branches and
 * union messages. Names are numbered in order of first use, so the same schema always gives the
 * same code.
 */
export class Hoisted {
  /** Above zero while a schema is only being looked at: nothing gets hoisted. */
  dry = 0
  /** Set when a recursive named type is checked: the entry then resets the call budget. */
  budgeted = false
  /** Names already given, by what they stand for: a schema object or a string key. */
  readonly names = new Map<unknown, string>()
  readonly functions: string[] = []
  private helpers = new Set<string>()
  private constants: string[] = []
  private counter = 0
  private ids = new Map<object, number>()

  use(helper: HelperName): void {
    if (this.dry)
      return
    this.helpers.add(helper)
    for (const dependency of helperSource(helper).uses)
      this.helpers.add(dependency)
  }

  name(prefix: string): string {
    return `${prefix}${++this.counter}`
  }

  /** A `var` declared once for equal code, named `<prefix><n>`. */
  constant(prefix: string, code: string): string {
    if (this.dry)
      return `${prefix}0`
    const key = `${prefix}:${code}`
    let name = this.names.get(key)
    if (!name) {
      name = this.name(prefix)
      this.names.set(key, name)
      this.constants.push(`var ${name} = ${code}`)
    }
    return name
  }

  /** A number for an object, to key a name by it inside a string. */
  idOf(value: object): number {
    let id = this.ids.get(value)
    if (id === undefined)
      this.ids.set(value, id = this.ids.size + 1)
    return id
  }

  declarations(): string[] {
    return [...helperDeclarations(this.helpers), ...this.constants, ...this.functions]
  }
}
