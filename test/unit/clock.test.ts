import { describe, expect, it } from 'vitest'
import { EPOCH_MS_AT_ZERO, now } from '../../src/runtime/server/clock'

describe('the request path\'s clock (clock.ts)', () => {
  it('counts milliseconds as performance.now() does, and never goes back', async () => {
    const [a, pa] = [now(), performance.now()]
    await new Promise(resolve => setTimeout(resolve, 25))
    const [b, pb] = [now(), performance.now()]
    expect(b).toBeGreaterThan(a)
    // The same interval on both clocks, read microseconds apart.
    expect(Math.abs((b - a) - (pb - pa))).toBeLessThan(1)
    let last = now()
    for (let i = 0; i < 10_000; i++) {
      const next = now()
      expect(next >= last).toBe(true)
      last = next
    }
  })

  it('turns a reading into epoch milliseconds, as a span\'s start needs', () => {
    expect(Math.abs(EPOCH_MS_AT_ZERO + now() - Date.now())).toBeLessThan(5)
  })
})
