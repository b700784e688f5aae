import { describe, expect, it } from 'vitest'
import { assignPorts } from '../../src/core/registry/ports'
import { camelCaseFileName, upperSnake } from '../../src/core/transform/names'

describe('ports', () => {
  const names = Array.from({ length: 200 }, (_, i) => `fn${i}`)

  it('are deterministic, unique and inside basePort+1 … basePort+4999', () => {
    const first = assignPorts(names, 3100)
    expect(assignPorts([...names].reverse(), 3100)).toEqual(first)
    const ports = [...first.values()]
    expect(new Set(ports).size).toBe(names.length)
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(3101)
    expect(Math.max(...ports)).toBeLessThanOrEqual(8099)
  })

  it('stay put for existing services when one is added (unless the newcomer probes into them)', () => {
    const before = assignPorts(['add', 'checkStock', 'placeOrder', 'sendEmail'], 3100)
    const after = assignPorts(['add', 'checkStock', 'placeOrder', 'sendEmail', 'refund'], 3100)
    for (const [name, port] of before)
      expect(after.get(name), name).toBe(port)
  })

  it('refuses more services than the range holds', () => {
    expect(() => assignPorts(Array.from({ length: 5000 }, (_, i) => `f${i}`), 3100)).toThrow(/do not fit/)
  })
})

describe('names', () => {
  it.each([
    ['inStock', 'IN_STOCK'],
    ['slowEcho', 'SLOW_ECHO'],
    ['getHTTPStatus', 'GET_HTTP_STATUS'],
    ['add2', 'ADD2'],
    ['sendEmail', 'SEND_EMAIL'],
  ])('%s → FEMTO_URL_%s', (name, env) => {
    expect(upperSnake(name)).toBe(env)
  })

  it.each([
    ['src/send-email.ts', 'sendEmail'],
    ['src/send_email.ts', 'sendEmail'],
    ['tally.ts', 'tally'],
    ['a/b/place.order.tsx', 'placeOrder'],
  ])('%s → %s', (file, name) => {
    expect(camelCaseFileName(file)).toBe(name)
  })
})
