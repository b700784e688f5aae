import { parseAst } from 'rolldown/parseAst'
import { describe, expect, it } from 'vitest'
import { SharedFiles } from '../../src/core/build/unused-stubs'

// A module file of Vite's shared build, as the services transform leaves it (vite-services.ts).
function declare(name: string, body = `return ${JSON.stringify(name)}`): string {
  return `var ${name} = __FEMTO_HOSTED_${name}__ ? async function ${name}() {\n\t${body};\n} : function ${name}(...args) {\n\treturn callService({ "name": "${name}" }, args);\n};\n`
}
const FNS = 'modules/src/fns.js'
const header = `import { callService } from "../dist/runtime/server.js";\n// src/fns.ts\n`

function prune(files: Record<string, string>, entry: string, hosted: string[]): string {
  const code = new Map(Object.entries({ 'modules/dist/runtime/server.js': 'export function callService() {}\n', ...files }))
  return new SharedFiles(code).forService(FNS, entry, flag => hosted.some(name => flag === `__FEMTO_HOSTED_${name}__`))!
}

/** The names the pruned file still declares, and what it exports; it must parse. */
function declared(code: string): { declares: string[], exports: string[] } {
  const { body } = parseAst(code)
  return {
    declares: body.flatMap((s) => {
      const declaration = s.type === 'ExportNamedDeclaration' ? s.declaration : s
      return declaration?.type === 'VariableDeclaration' ? declaration.declarations.map(d => (d.id.type === 'Identifier' ? d.id.name : '?')) : []
    }),
    exports: body.flatMap(s => (s.type === 'ExportNamedDeclaration' ? s.specifiers.map(x => (x.exported.type === 'Identifier' ? x.exported.name : String(x.exported.value))) : [])),
  }
}

describe('a service\'s pass leaves out the declarations of other services\' functions nothing uses', () => {
  const entry = (name: string): Record<string, string> => ({ [`${name}.js`]: `import { ${name} } from "./${FNS}";\nstartService({ fn: ${name} });\n` })

  it('keeps the hosted function, with its flag true, and drops the others', () => {
    const code = prune({ [FNS]: `${header}${declare('a')}${declare('b')}${declare('c')}export { a, b, c };\n`, ...entry('b') }, 'b.js', ['b'])
    expect(declared(code)).toEqual({ declares: ['b'], exports: ['b'] })
    expect(code).toContain('var b = true ? async function b()')
    expect(code).toContain('// src/fns.ts')
    expect(code).not.toContain('__FEMTO_HOSTED_')
  })

  it('keeps the stub of a function a hosted body calls, and what that one calls in turn', () => {
    const files = { [FNS]: `${header}${declare('a', 'return b()')}${declare('b', 'return c()')}${declare('c')}${declare('d')}export { a, b, c, d };\n`, ...entry('a') }
    const code = prune(files, 'a.js', ['a'])
    // b's stub is kept, and with it its body's words: c stays too, which rolldown then drops.
    expect(declared(code).declares).toEqual(['a', 'b', 'c'])
    expect(code).toContain('var b = false ?')
  })

  it('keeps a declaration the file\'s other statements name', () => {
    const code = prune({ [FNS]: `${header}${declare('a')}${declare('b')}export const table = { b };\nexport { a, b };\n`, ...entry('a') }, 'a.js', ['a'])
    expect(declared(code).declares).toEqual(['a', 'b', 'table'])
  })

  it('keeps what another module file imports, under its own name or another', () => {
    const files = {
      [FNS]: `${header}${declare('a')}${declare('b')}${declare('c')}${declare('d')}${declare('e')}export { a, b, c as renamed, d as "quoted-name", e as default };\n`,
      'modules/src/other.js': `import e, { b, renamed, "quoted-name" as q } from "./fns.js";\nexport const all = [b, renamed, q, e];\n`,
      ...entry('a'),
    }
    const code = prune(files, 'a.js', ['a'])
    expect(declared(code)).toEqual({ declares: ['a', 'b', 'c', 'd', 'e'], exports: ['a', 'b', 'renamed', 'quoted-name', 'default'] })
  })

  it('does not count another service\'s entry file as a user', () => {
    const files = { [FNS]: `${header}${declare('a')}${declare('b')}export { a, b };\n`, ...entry('a'), ...entry('b') }
    expect(declared(prune(files, 'a.js', ['a'])).declares).toEqual(['a'])
  })

  it('keeps the file whole when another file imports all of it, which can name any export at run time', () => {
    for (const other of ['import * as all from "./fns.js";\nexport const pick = n => all[n];\n', 'export * from "./fns.js";\n', 'export const later = () => import("./fns.js");\n']) {
      const files = { [FNS]: `${header}${declare('a')}${declare('b')}export { a, b };\n`, 'modules/src/other.js': other, ...entry('a') }
      const code = prune(files, 'a.js', ['a'])
      expect(declared(code).declares).toEqual(['a', 'b'])
      expect(code).toContain('var b = false ?')
    }
  })

  it('only writes the flags of a file of one function, or of other forms', () => {
    expect(prune({ [FNS]: `${header}${declare('a')}export { a };\n`, ...entry('a') }, 'a.js', ['a'])).toBe(`${header}${declare('a')}export { a };\n`.replace('__FEMTO_HOSTED_a__', 'true'))
    // A declaration whose value runs code as it is declared is not the transform's form: never dropped.
    const calls = `var a = __FEMTO_HOSTED_a__ ? make() : other();\nvar b = __FEMTO_HOSTED_b__ ? make() : other();\nexport { a, b };\n`
    expect(prune({ [FNS]: calls, ...entry('a') }, 'a.js', ['a'])).toBe(calls.replace('__FEMTO_HOSTED_a__', 'true').replace('__FEMTO_HOSTED_b__', 'false'))
  })

  it('passes a file without flags, and one the build did not write, as they are', () => {
    const files: Record<string, string> = { [FNS]: `${header}${declare('a')}${declare('b')}export { a, b };\n`, ...entry('a') }
    const shared = new SharedFiles(new Map(Object.entries(files)))
    expect(shared.forService('a.js', 'a.js', () => true)).toBe(files['a.js'])
    expect(shared.forService('modules/missing.js', 'a.js', () => true)).toBeUndefined()
  })

  it('reads names in any script', () => {
    const code = prune({ [FNS]: `${header}${declare('été', 'return hiver()')}${declare('hiver')}${declare('printemps')}export { été, hiver, printemps };\n`, ...entry('été') }, 'été.js', ['été'])
    expect(declared(code).declares).toEqual(['été', 'hiver'])
    expect(code).toContain('var été = true ?')
    expect(code).toContain('var hiver = false ?')
  })

  it('cuts text with characters outside ASCII at the right places', () => {
    const code = prune({ [FNS]: `${header}var note = "prix en € — ok";\n${declare('a', 'return "é😀"')}${declare('b')}export { a, b, note };\n`, ...entry('b') }, 'b.js', ['b'])
    expect(declared(code)).toEqual({ declares: ['note', 'b'], exports: ['b', 'note'] })
  })
})
