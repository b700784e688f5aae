import type { Manifest } from '../../src/core/build/manifest'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callGraph, stubbedFunctions } from '../../src/core/build/call-graph'
import { createClientImports, exposureOf } from '../../src/core/registry/exposure'
import { resolveOptions } from '../../src/core/registry/options'
import { viteBuild } from '../helpers'

// Real `vite build`s of a fixture app, in-process, with the plugin from source: the page imports
// getPrice and wipeCache; getPrice calls priceOf; nightlyReport (imported by nothing) calls
// priceOf too; paymentWebhook is imported by nothing but has `exposure=public`; wipeCache is
// imported by the page but has `exposure=internal`.
const FIXTURE = join(import.meta.dirname, '../fixtures/exposure-app')

let work: string
let manifest: Manifest
let overridden: Manifest
const fn = (m: Manifest, name: string): Manifest['functions'][number] => m.functions.find(f => f.name === name)!

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-exposure-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  manifest = JSON.parse(readFileSync(join(await viteBuild(work, 'dist'), 'servers/femto.json'), 'utf8'))
  // The options' `functions.<name>.exposure` wins over the import and over the directive.
  const options = { functions: { nightlyReport: { exposure: 'public' as const }, getPrice: { exposure: 'internal' as const }, wipeCache: { exposure: 'public' as const } } }
  overridden = JSON.parse(readFileSync(join(await viteBuild(work, 'dist-overridden', options), 'servers/femto.json'), 'utf8'))
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('exposure of a vite build: public by import, internal otherwise', () => {
  it('a function the page imports is public; one imported by no client module is internal, even when another service imports it', () => {
    expect(fn(manifest, 'getPrice')).toMatchObject({ exposure: 'public', exposureReason: 'imported' })
    expect(fn(manifest, 'priceOf')).toMatchObject({ exposure: 'internal', exposureReason: 'not-imported' })
    expect(fn(manifest, 'nightlyReport')).toMatchObject({ exposure: 'internal', exposureReason: 'not-imported' })
  })

  it('the exposure policy overrides the import, both ways', () => {
    expect(fn(manifest, 'paymentWebhook')).toMatchObject({ exposure: 'public', exposureReason: 'policy' })
    expect(fn(manifest, 'wipeCache')).toMatchObject({ exposure: 'internal', exposureReason: 'policy' })
    expect(fn(manifest, 'wipeCache').policies.exposure).toBe('internal')
  })

  it('the options\' functions.<name>.exposure overrides the import and the directive', () => {
    expect(fn(overridden, 'nightlyReport')).toMatchObject({ exposure: 'public', exposureReason: 'policy' })
    expect(fn(overridden, 'getPrice')).toMatchObject({ exposure: 'internal', exposureReason: 'policy' })
    expect(fn(overridden, 'wipeCache')).toMatchObject({ exposure: 'public', exposureReason: 'policy' })
    expect(fn(overridden, 'priceOf')).toMatchObject({ exposure: 'internal', exposureReason: 'not-imported' })
  })

  it('records the call graph from the services\' bundles: callers per function, calls per service', () => {
    expect(Object.fromEntries(manifest.functions.map(f => [f.name, f.callers]))).toEqual({
      getPrice: [],
      nightlyReport: [],
      paymentWebhook: [],
      priceOf: ['getPrice', 'nightlyReport'],
      wipeCache: [],
    })
    expect(Object.fromEntries(manifest.services.map(s => [s.name, s.calls]))).toEqual({
      getPrice: ['priceOf'],
      nightlyReport: ['priceOf'],
      paymentWebhook: [],
      priceOf: [],
      wipeCache: [],
    })
  })

  it('the runtime\'s own start-up checks (the token) are not counted as what a function reads', () => {
    for (const service of manifest.services)
      expect(service.reads, service.name).toEqual({ names: [], dynamic: false })
  })

  it('the generated service of an internal function marks it; a public one\'s does not', () => {
    const bundle = (name: string): string => readFileSync(join(work, 'dist/servers', `${name}.js`), 'utf8')
    expect(bundle('priceOf')).toMatch(/"internal":\s*true/)
    expect(bundle('getPrice')).not.toMatch(/"internal":\s*true/)
  })
})

describe('exposureOf and the call graph, as functions', () => {
  const options = resolveOptions({ functions: { b: { exposure: 'public' } } })
  const functions = ['a', 'b', 'c'].map(name => ({ name, policy: undefined }) as any)

  it('without a client build (the testing helper builds services alone), every function stays public unless its policy says', () => {
    expect(exposureOf(functions, resolveOptions({ functions: { c: { exposure: 'internal' } } }), undefined).get('c')).toEqual({ exposure: 'internal', reason: 'policy' })
    expect(exposureOf(functions, options, undefined).get('a')).toEqual({ exposure: 'public', reason: 'no-client-build' })
  })

  it('with one, what the client imported is public', () => {
    const imports = createClientImports()
    imports.begin()
    imports.record('/src/x.ts', ['a'])
    const result = exposureOf(functions, options, imports.names())
    expect(Object.fromEntries(Array.from(result, ([name, e]) => [name, e.exposure]))).toEqual({ a: 'public', b: 'public', c: 'internal' })
  })

  it('reads stubs whether or not the bundler kept the keys quoted, and ignores a service\'s own functions', () => {
    const quoted = `callService({\n\t"name": "b",\n\t"route": "/femto/b",\n\t"port": 3200,\n\t"env": "FEMTO_URL_B",\n\t"contract": "x"\n}, args)`
    const bare = `callService({name:"c",route:"/femto/c",port:3300,env:"FEMTO_URL_C"},a)`
    expect(stubbedFunctions(quoted + bare)).toEqual(['b', 'c'])
    const unit = (name: string, fns: string[]): any => ({ name, functions: fns.map(f => ({ name: f })) })
    const services = [unit('a', ['a']), unit('g', ['b', 'c'])]
    const serviceOf = new Map(services.flatMap(s => s.functions.map((f: any) => [f.name, s])))
    const graph = callGraph({ services, functions: [{ name: 'a' }, { name: 'b' }, { name: 'c' }], serviceOf } as any, new Map([['a', ['b', 'c']], ['g', ['b', 'a']]]))
    expect(Object.fromEntries(graph.calls)).toEqual({ a: ['g'], g: ['a'] })
    expect(Object.fromEntries(graph.callers)).toEqual({ a: ['g'], b: ['a'], c: ['a'] })
  })
})
