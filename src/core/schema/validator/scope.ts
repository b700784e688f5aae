/** The variables and statements of one generated function. */
export class Scope {
  lines: string[] = []
  usesError = false
  private counters = new Map<string, number>()

  /** `depth` is the expression for the nesting depth of named types here: `0` in the entry function. */
  constructor(readonly depth: string) {}

  local(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1
    this.counters.set(prefix, n)
    return `${prefix}${n}`
  }

  emit(line: string): void {
    this.lines.push(line)
  }

  body(): string {
    return [...(this.usesError ? ['var e'] : []), ...this.lines].join('\n')
  }

  deeper(): string {
    return this.depth === '0' ? '1' : `${this.depth} + 1`
  }
}

/** Whether an expression is a plain name, cheap to read again. */
export function isIdentifier(code: string): boolean {
  return /^[\w$]+$/.test(code)
}
