import type { Manifest, ManifestFunction, ManifestService } from '../../src/core/build/manifest'
import type { PreviousBuild } from '../../src/core/build/skew'
import { describe, expect, it } from 'vitest'
import { describeSkew, keepPreviousVersions } from '../../src/core/build/skew'
import { DEFAULT_SKEW_WINDOW_MS, resolveSkewWindow } from '../../src/core/registry/skew-window'
import { createMetrics } from '../../src/runtime/server/metrics'
import { routeByContract } from '../../src/up/gateway'
import { previousPeers, previousServices, routePrevious } from '../../src/up/previous'

const HOUR = 3_600_000
const NOW = Date.parse('2026-12-02T12:00:00Z')

function fn(name: string, contract: string, more: Partial<ManifestFunction> = {}): ManifestFunction {
  return { name, route: `/femto/${name}`, service: name, contract, exposure: 'public', ...more } as ManifestFunction
}
function service(name: string, hash: string): ManifestService {
  return { name, file: `${name}.js`, hash, env: `FEMTO_URL_${name.toUpperCase()}` } as ManifestService
}
function build(functions: ManifestFunction[], services: ManifestService[], files: Record<string, string>): PreviousBuild {
  return {
    manifest: { functions, services } as Manifest,
    read: async file => (file in files ? Buffer.from(files[file]!) : undefined),
  }
}

describe('skewWindow', () => {
  it('takes ms or a duration, 24 hours by default, and refuses anything else with the option\'s name', () => {
    expect(resolveSkewWindow(undefined)).toBe(DEFAULT_SKEW_WINDOW_MS)
    expect(DEFAULT_SKEW_WINDOW_MS).toBe(24 * HOUR)
    expect(resolveSkewWindow(0)).toBe(0)
    expect(resolveSkewWindow(1500)).toBe(1500)
    expect(resolveSkewWindow('90m')).toBe(90 * 60_000)
    expect(resolveSkewWindow('30s')).toBe(30_000)
    expect(resolveSkewWindow('7d')).toBe(7 * 24 * HOUR)
    expect(() => resolveSkewWindow('a day')).toThrow(/skewWindow: "a day" is not a duration/)
    expect(() => resolveSkewWindow(-1)).toThrow(/skewWindow/)
  })
})

describe('which previous versions a build keeps', () => {
  const before = build([fn('quote', 'c1'), fn('tax', 't1')], [service('quote', 'h1'), service('tax', 'th1')], { 'quote.js': 'v1 quote', 'tax.js': 'v1 tax' })

  it('keeps the previous service of a function whose contract changed, until now + the window; not one whose body alone changed', async () => {
    const kept = await keepPreviousVersions(before, [{ name: 'quote', contract: 'c2' }, { name: 'tax', contract: 't1' }], HOUR, NOW)
    expect(kept.byFunction.get('quote')).toEqual([{ contract: 'c1', service: 'quote', hash: 'h1', file: 'previous/quote@h1.js', until: '2026-12-02T13:00:00.000Z' }])
    expect(kept.byFunction.has('tax')).toBe(false)
    expect(kept.files.get('previous/quote@h1.js')?.toString()).toBe('v1 quote')
  })

  it('carries older versions until their own end, drops them after it, and drops a contract the function is back at', async () => {
    const previous = build(
      [fn('quote', 'c2', { previous: [
        { contract: 'c1', service: 'quote', hash: 'h1', file: 'previous/quote@h1.js', until: '2026-12-02T12:30:00.000Z' },
        { contract: 'c0', service: 'quote', hash: 'h0', file: 'previous/quote@h0.js', until: '2026-12-02T11:59:00.000Z' },
      ] })],
      [service('quote', 'h2')],
      { 'quote.js': 'v2', 'previous/quote@h1.js': 'v1', 'previous/quote@h0.js': 'v0' },
    )
    const kept = await keepPreviousVersions(previous, [{ name: 'quote', contract: 'c3' }], HOUR, NOW)
    expect(kept.byFunction.get('quote')!.map(v => [v.contract, v.until])).toEqual([['c2', '2026-12-02T13:00:00.000Z'], ['c1', '2026-12-02T12:30:00.000Z']])
    const back = await keepPreviousVersions(previous, [{ name: 'quote', contract: 'c1' }], HOUR, NOW)
    expect(back.byFunction.get('quote')!.map(v => v.contract)).toEqual(['c2'])
  })

  it('keeps nothing with a window of 0, on a first build, or when the previous bundle is gone', async () => {
    expect((await keepPreviousVersions(before, [{ name: 'quote', contract: 'c2' }], 0, NOW)).byFunction.size).toBe(0)
    expect((await keepPreviousVersions(undefined, [{ name: 'quote', contract: 'c2' }], HOUR, NOW)).byFunction.size).toBe(0)
    const gone = build([fn('quote', 'c1')], [service('quote', 'h1')], {})
    expect((await keepPreviousVersions(gone, [{ name: 'quote', contract: 'c2' }], HOUR, NOW)).byFunction.size).toBe(0)
  })

  it('says in the build output which function changed contract and what stays served until when', () => {
    const manifest = { functions: [fn('quote', 'c2', { previous: [{ contract: 'c1', service: 'quote', hash: 'h1', file: 'previous/quote@h1.js', until: '2026-12-03T12:00:00.000Z' }] }), fn('tax', 't1')] } as Manifest
    expect(describeSkew(manifest)).toContain('quote: contract c2; previous c1 (previous/quote@h1.js) until 2026-12-03 12:00 UTC')
    expect(describeSkew({ functions: [fn('tax', 't1')] } as Manifest)).toBeUndefined()
  })
})

describe('routing by contract', () => {
  const manifest = {
    functions: [
      fn('quote', 'c2', { previous: [{ contract: 'c1', service: 'quote', hash: 'h1abcdef99', file: 'previous/quote@h1abcdef99.js', until: '2026-12-03T00:00:00.000Z' }] }),
      fn('price', 'p2', { service: 'quote', previous: [{ contract: 'p1', service: 'quote', hash: 'h1abcdef99', file: 'previous/quote@h1abcdef99.js', until: '2026-12-03T00:00:00.000Z' }] }),
      fn('ledger', 'l2', { exposure: 'internal', previous: [{ contract: 'l1', service: 'ledger', hash: 'lh', file: 'previous/ledger@lh.js', until: '2026-12-03T00:00:00.000Z' }] }),
      fn('old', 'o2', { previous: [{ contract: 'o1', service: 'old', hash: 'oh', file: 'previous/old@oh.js', until: '2026-12-02T00:00:00.000Z' }] }),
    ],
  } as Manifest

  it('runs one process per previous bundle still in its window; the gateway gets its public routes, the services its env', () => {
    const services = previousServices(manifest, NOW)
    expect(services.map(s => [s.name, s.file, [...s.serves]])).toEqual([
      ['quote@h1abcdef', 'previous/quote@h1abcdef99.js', [['/femto/quote', 'c1'], ['/femto/price', 'p1']]],
      ['ledger@lh', 'previous/ledger@lh.js', []],
    ])
    expect(previousPeers(services, ['http://127.0.0.1:4001', 'http://127.0.0.1:4002'])).toEqual({
      FEMTO_URL_QUOTE__c1: 'http://127.0.0.1:4001',
      FEMTO_URL_QUOTE__p1: 'http://127.0.0.1:4001',
      FEMTO_URL_LEDGER__l1: 'http://127.0.0.1:4002',
    })
  })

  it('sends a call with a previous contract to its version, any other call (new contract, none, unknown) to the current one', () => {
    const previous = new Map<string, Map<string, string>>()
    const [quote] = previousServices(manifest, NOW)
    routePrevious(previous, quote!, 'http://old')
    const options = { routes: new Map([['/femto/quote', 'http://new']]), previous }
    expect(routeByContract(options, '/femto/quote', 'c1')).toBe('http://old')
    expect(routeByContract(options, '/femto/quote', 'c2')).toBe('http://new')
    expect(routeByContract(options, '/femto/quote', undefined)).toBe('http://new')
    expect(routeByContract(options, '/femto/quote', 'zz')).toBe('http://new')
    expect(routeByContract(options, '/femto/nope', 'c1')).toBeUndefined()
    // A previous version that is down: its calls go to the current one (STALE_CLIENT, and the page reloads).
    routePrevious(previous, quote!, undefined)
    expect(routeByContract(options, '/femto/quote', 'c1')).toBe('http://new')
  })
})

describe('metrics per contract version', () => {
  it('labels a function\'s series with its contract, so that a previous version\'s calls are counted apart', () => {
    const previous = createMetrics('quote')
    const current = createMetrics('quote')
    previous.forFunction('quote', 'c1').finish(200, 0.01)
    const handle = current.forFunction('quote', 'c2')
    handle.finish(200, 0.01)
    handle.finish(200, 0.02)
    expect(previous.render()).toContain('femto_requests_total{service="quote",function="quote",contract="c1",status="200"} 1\n')
    expect(current.render()).toContain('femto_requests_total{service="quote",function="quote",contract="c2",status="200"} 2\n')
    expect(current.render()).toContain('femto_request_duration_seconds_count{service="quote",function="quote",contract="c2"} 2\n')
    // A function without a contract (a build of long ago) has no contract label.
    const bare = createMetrics('x')
    bare.forFunction('x').finish(200, 0)
    expect(bare.render()).toContain('femto_requests_total{service="x",function="x",status="200"} 1\n')
  })
})
