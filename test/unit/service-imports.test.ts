import { describe, expect, it } from 'vitest'
import { analyzeModule } from '../../src/core/transform/analyze'
import { transformModule } from '../../src/core/transform/transform'

const stub = { from: 'unplugin-femto/runtime/server', helper: 'callService', meta: (fn: { name: string }) => JSON.stringify({ name: fn.name }) }

/** Which services (by flag) need each import, in Vite's one build of every service. */
function importsOf(code: string): unknown {
  const result = transformModule(code, analyzeModule('/src/m.ts', code), { hosted: () => false, flag: fn => `F_${fn.name}`, stub })
  return result?.imports
}

describe('the services transform says which services load what each import imports', () => {
  it('an import only some bodies use is for their services; one the module\'s own code uses, for every service', () => {
    expect(importsOf(`
import './metrics'
import { db } from './db'
import { format } from './format'
import { signingKey } from './secret'
import { log } from './log'
log('loaded')
const key = signingKey()
export async function a() { 'use femto'; return db.get(format(1)) }
export async function b() { 'use femto'; return key + format(2) }
`)).toEqual([
      { source: './metrics', when: undefined },
      { source: './db', when: ['F_a'] },
      { source: './format', when: ['F_a', 'F_b'] },
      { source: './secret', when: ['F_b'] },
      { source: './log', when: undefined },
    ])
  })

  it('an import with one specifier the module\'s own code uses is for every service', () => {
    expect(importsOf(`
import { db, schema } from './db'
export const tables = [schema]
export async function a() { 'use femto'; return db }
`)).toEqual([{ source: './db', when: undefined }])
  })

  it('a re-export of a module the bodies also import loads it for every service', () => {
    expect(importsOf(`
import { db } from './db'
export * from './db'
export async function a() { 'use femto'; return db }
`)).toEqual([{ source: './db', when: ['F_a'] }, { source: './db', when: undefined }])
  })

  it('in a file-level module, every import (a bare one too) is for the services of its functions', () => {
    expect(importsOf(`'use femto'
import './setup'
import { heavy } from './heavy'
import { log } from './log'
log('loaded')
export async function a() { return heavy() }
export async function b() { return 1 }
`)).toEqual([
      { source: './setup', when: ['F_a', 'F_b'] },
      { source: './heavy', when: ['F_a'] },
      { source: './log', when: ['F_a', 'F_b'] },
    ])
  })

  it('says nothing outside the services transform', () => {
    const code = `import { db } from './db'\nexport async function a() { 'use femto'; return db }\n`
    expect(transformModule(code, analyzeModule('/src/m.ts', code), { hosted: () => false, stub })?.imports).toBeUndefined()
  })
})
