import { describe, expect, it } from 'vitest'
import { parseSize, resolveOptions } from '../../src/core/options'

describe('options', () => {
  it('resolves policies over the defaults, Infinity meaning no limit', () => {
    const options = resolveOptions({ defaults: { timeoutMs: 5000 }, functions: { charge: { concurrency: 5, bodyLimit: '2kb' } } })
    expect(options.policyOf('charge')).toEqual({ bodyLimit: 2048, timeoutMs: 5000, concurrency: 5 })
    expect(options.policyOf('other')).toEqual({ bodyLimit: 1024 ** 2, timeoutMs: 5000, concurrency: Infinity })
    expect(resolveOptions({ defaults: { timeoutMs: Infinity } }).defaults.timeoutMs).toBe(Infinity)
  })

  it.each([
    [{ basePath: '/' }, /basePath: '\/' would put functions beside the app's own pages/],
    [{ basePort: 64000 }, /basePort: 64000 leaves no room/],
    [{ mode: 'cluster' as any }, /mode: 'cluster' is not 'split' or 'monolith'/],
    [{ defaults: { bodyLimit: 'lots' } }, /defaults.bodyLimit: 'lots' is not a size/],
    [{ functions: { charge: { timeoutMs: 0 } } }, /functions.charge.timeoutMs: '0' is not a positive number/],
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
})
