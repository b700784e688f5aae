/**
 * A boolean condition on a value, kept as a tree so that it can be negated readably: the
 * generated code says `typeof x !== "string"`, not `!(typeof x === "string")`.
 */
export type Test = boolean | { pos: string, neg: string } | { or: Test[] } | { and: Test[] }

export function atom(pos: string, neg: string): Test {
  return { pos, neg }
}

export function call(code: string): Test {
  return atom(code, `!${code}`)
}

export function typeOf(value: string, type: string): Test {
  return atom(`typeof ${value} === "${type}"`, `typeof ${value} !== "${type}"`)
}

export function equals(value: string, literal: string): Test {
  return atom(`${value} === ${literal}`, `${value} !== ${literal}`)
}

export function instanceOf(value: string, type: string): Test {
  return atom(`${value} instanceof ${type}`, `!(${value} instanceof ${type})`)
}

export function isArray(value: string): Test {
  return call(`Array.isArray(${value})`)
}

/** Without repeats: branches of a union often share their conditions. */
function unique(tests: Test[]): Test[] {
  const seen = new Set<string>()
  return tests.filter((t) => {
    const key = JSON.stringify(t)
    return !seen.has(key) && Boolean(seen.add(key))
  })
}

export function or(tests: Test[]): Test {
  const kept = unique(tests.flatMap(t => (typeof t === 'object' && 'or' in t ? t.or : [t])).filter(t => t !== false))
  if (kept.includes(true))
    return true
  return kept.length === 0 ? false : kept.length === 1 ? kept[0]! : { or: kept }
}

export function and(tests: Test[]): Test {
  const kept = unique(tests.flatMap(t => (typeof t === 'object' && 'and' in t ? t.and : [t])).filter(t => t !== true))
  if (kept.includes(false))
    return false
  return kept.length === 0 ? true : kept.length === 1 ? kept[0]! : { and: kept }
}

export function not(test: Test): Test {
  if (typeof test === 'boolean')
    return !test
  if ('or' in test)
    return and(test.or.map(not))
  if ('and' in test)
    return or(test.and.map(not))
  return atom(test.neg, test.pos)
}

export function render(test: Test, insideAnd = false): string {
  if (typeof test === 'boolean')
    return String(test)
  if ('and' in test)
    return test.and.map(t => render(t, true)).join(' && ')
  if ('or' in test) {
    const code = test.or.map(t => render(t)).join(' || ')
    return insideAnd ? `(${code})` : code
  }
  return test.pos
}
