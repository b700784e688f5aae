import { describe, expect, it } from 'vitest'
import { keptOutput } from '../../src/up/kept-output'

describe('a service\'s kept output (femto up, testing helper)', () => {
  it('holds everything while it is short', () => {
    const output = keptOutput(100)
    output.keep(Buffer.from('listening\n'))
    output.keep(Buffer.from('POST /femto/add 200\n'))
    expect(output.text()).toBe('listening\nPOST /femto/add 200\n')
  })

  it('holds the last of a long output, read at any time', () => {
    const output = keptOutput(1000)
    let all = ''
    for (let i = 0; i < 5000; i++) {
      const line = `line ${i}${i % 7 === 0 ? ' with more words' : ''}\n`
      all += line
      output.keep(Buffer.from(line))
      if (i % 997 === 0)
        expect(output.text()).toBe(all.slice(-1000))
    }
    expect(output.text()).toBe(all.slice(-1000))
  })

  it('keeps a chunk larger than the limit, cut when read', () => {
    const output = keptOutput(10)
    output.keep(Buffer.from('0123456789abcdef'))
    expect(output.text()).toBe('6789abcdef')
  })
})
