import type * as t from '@babel/types'
import type { Fail, FemtoFunction } from './analyze'

/**
 * The module's exports, local binding name → the names it is exported under (`default`
 * included). A module marked 'use femto' may not re-export: what it serves must be its own.
 */
export function exportsOf(program: t.Program, fileLevel: boolean, fail: Fail): Map<string, string[]> {
  const exports = new Map<string, string[]>()
  const add = (local: string, exported: string): void => {
    const list = exports.get(local) ?? []
    list.push(exported)
    exports.set(local, list)
  }
  for (const stmt of program.body) {
    if (stmt.type === 'ExportNamedDeclaration') {
      if (stmt.exportKind === 'type')
        continue
      if (stmt.source) {
        if (fileLevel)
          fail(`a 'use femto' module cannot re-export from another module; import the function and export it from a function marked 'use femto' instead`, stmt)
        continue
      }
      const decl = stmt.declaration
      if (decl?.type === 'FunctionDeclaration' && decl.id) {
        add(decl.id.name, decl.id.name)
      }
      else if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          if (d.id.type === 'Identifier')
            add(d.id.name, d.id.name)
        }
      }
      for (const spec of stmt.specifiers) {
        if (spec.type !== 'ExportSpecifier' || spec.exportKind === 'type')
          continue
        add(spec.local.name, spec.exported.type === 'Identifier' ? spec.exported.name : spec.exported.value)
      }
    }
    else if (stmt.type === 'ExportDefaultDeclaration') {
      const decl = stmt.declaration
      if ((decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') && decl.id)
        add(decl.id.name, 'default')
      else if (decl.type === 'Identifier')
        add(decl.name, 'default')
    }
    else if (stmt.type === 'ExportAllDeclaration' && fileLevel && stmt.exportKind !== 'type') {
      fail(`a 'use femto' module cannot re-export from another module (export *); export each function from a function marked 'use femto' instead`, stmt)
    }
  }
  return exports
}

/** In a module marked 'use femto' every export is served, so every export must be one of its functions. */
export function checkFileLevelExports(program: t.Program, functions: FemtoFunction[], fail: Fail): void {
  const served = new Set(functions.map(f => f.localName).filter(Boolean))
  const hint = `In a module marked 'use femto' every export must be a function. Move it to another module, or mark only the functions with 'use femto' in their bodies`
  for (const stmt of program.body) {
    if (stmt.type === 'ExportNamedDeclaration' && !stmt.source && stmt.exportKind !== 'type') {
      const decl = stmt.declaration
      if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          if (d.id.type !== 'Identifier' || !served.has(d.id.name))
            fail(`'${d.id.type === 'Identifier' ? d.id.name : 'this export'}' is not a function. ${hint}`, d)
        }
      }
      else if (decl && decl.type !== 'FunctionDeclaration' && !decl.type.startsWith('TS')) {
        fail(`this export is not a function. ${hint}`, decl)
      }
      else if (decl?.type === 'TSEnumDeclaration') {
        fail(`an enum is not a function. ${hint}`, decl)
      }
      for (const spec of stmt.specifiers) {
        if (spec.type === 'ExportSpecifier' && spec.exportKind !== 'type' && !served.has(spec.local.name))
          fail(`'${spec.local.name}' is not a function. ${hint}`, spec)
      }
    }
    else if (stmt.type === 'ExportDefaultDeclaration') {
      const d = stmt.declaration
      const isFn = d.type === 'FunctionDeclaration' || d.type === 'ArrowFunctionExpression' || d.type === 'FunctionExpression'
        || (d.type === 'Identifier' && served.has(d.name))
      if (!isFn && !d.type.startsWith('TS'))
        fail(`the default export is not a function. ${hint}`, d)
    }
  }
}
