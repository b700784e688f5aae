import { describe, expect, it } from 'vitest'
import { parseSize, resolveOptions } from '../../src/core/registry/options'
import { DEFAULT_POLICY, parsePolicyDirective, stubPolicyOf } from '../../src/core/registry/policy'

describe('options', () => {
  it('resolves policies over the defaults, Infinity meaning no limit', () => {
    const options = resolveOptions({ defaults: { timeoutMs: 5000 }, functions: { charge: { concurrency: 5, bodyLimit: '2kb' } } })
    expect(options.policyOf('charge')).toEqual({ ...DEFAULT_POLICY, bodyLimit: 2048, timeoutMs: 5000, concurrency: 5 })
    expect(options.policyOf('other')).toEqual({ ...DEFAULT_POLICY, timeoutMs: 5000 })
    expect(resolveOptions({ defaults: { timeoutMs: Infinity } }).defaults.timeoutMs).toBe(Infinity)
  })

  it('layers defaults, then the policy directive in the source, then functions.<name>', () => {
    const options = resolveOptions({ defaults: { retries: 1, backoffMs: 20 }, functions: { charge: { retries: 5 } } })
    const source = { retries: 3, idempotent: false, timeoutMs: 2000 }
    expect(options.policyOf('charge', source)).toMatchObject({ retries: 5, idempotent: false, timeoutMs: 2000, backoffMs: 20 })
    expect(options.policyOf('refund', source)).toMatchObject({ retries: 3, idempotent: false, timeoutMs: 2000, backoffMs: 20 })
    expect(options.policyOf('refund')).toMatchObject({ retries: 1, idempotent: true, timeoutMs: 10_000 })
  })

  it('gives stubs only the part of a policy that differs from their built-in defaults', () => {
    expect(stubPolicyOf(DEFAULT_POLICY)).toBeUndefined()
    expect(stubPolicyOf({ ...DEFAULT_POLICY, retries: 3, concurrency: 2, timeoutMs: Infinity, breakerFailures: Infinity })).toEqual({ retries: 3, timeoutMs: null, breakerFailures: null })
  })

  it('reads policy directives', () => {
    expect(parsePolicyDirective('femto retries=3 idempotent=false timeoutMs=Infinity bodyLimit=2kb')).toEqual({ retries: 3, idempotent: false, timeoutMs: Infinity, bodyLimit: '2kb' })
    expect(parsePolicyDirective('femto')).toEqual({})
    expect(() => parsePolicyDirective('femto retries')).toThrow(/'retries' is not key=value/)
    expect(() => parsePolicyDirective('femto retries=1 retries=2')).toThrow(/'retries' is set twice/)
    expect(() => parsePolicyDirective('femto idempotent=yes')).toThrow(/femto.idempotent: 'yes' is not true or false/)
  })

  it.each([
    [{ basePath: '/' }, /basePath: '\/' would put functions beside the app's own pages/],
    [{ basePort: 64000 }, /basePort: 64000 leaves no room/],
    [{ mode: 'cluster' as any }, /mode: 'cluster' is not 'split' or 'monolith'/],
    [{ defaults: { bodyLimit: 'lots' } }, /defaults.bodyLimit: 'lots' is not a size/],
    [{ functions: { charge: { timeoutMs: 0 } } }, /functions.charge.timeoutMs: '0' is not a positive number/],
    [{ functions: { charge: { retries: -1 } } }, /functions.charge.retries: '-1' is not a whole number of 0 or more/],
    [{ defaults: { retry: 3 } as any }, /defaults.retry: unknown policy; the policies are bodyLimit, fileLimit, timeoutMs/],
    [{ functions: { charge: { concurrency: 2.5 } } }, /functions.charge.concurrency: '2.5' is not a positive whole number/],
    [{ groups: { 'bill-ing': ['charge'] } }, /groups.bill-ing: a group name becomes a file name/],
    [{ groups: { router: ['charge'] } }, /groups.router: a group name becomes a file name/],
    [{ groups: { billing: [] } }, /groups.billing: list the functions it serves/],
    [{ groups: { a: ['charge'], b: ['charge'] } }, /'charge' is in both 'a' and 'b'/],
  ])('refuses %j with a clear message', (input, message) => {
    expect(() => resolveOptions(input)).toThrow(message)
  })

  it('reads sizes in bytes and binary units', () => {
    expect(parseSize('512kb', 'x')).toBe(512 * 1024)
    expect(parseSize('1.5mb', 'x')).toBe(1.5 * 1024 ** 2)
    expect(parseSize(100, 'x')).toBe(100)
  })

  it('refuses an outDir that is the project root or outside it, and an external that is not a list', () => {
    for (const outDir of ['', '.', './', '../elsewhere', 'a/../../b'])
      expect(() => resolveOptions({ outDir }), outDir).toThrow(/outDir: .* is not a folder inside the project/)
    expect(resolveOptions({ outDir: 'build' }).outDir).toBe('build')
    expect(() => resolveOptions({ external: 'sharp' as never })).toThrow(/external: "sharp" is not a list/)
    expect(resolveOptions({ external: ['sharp', 'sharp'] }).external).toEqual(['sharp'])
  })
})
