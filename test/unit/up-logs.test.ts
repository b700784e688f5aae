import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { prefixLines } from '../../src/up/logs'

/** Feeds `chunks` to prefixLines as a service's stdout, and resolves with femto up's merged output once the stream ended. */
async function merged(chunks: Array<string | Buffer>, isTTY = false): Promise<{ text: string, writes: number }> {
  const input = new PassThrough()
  const out = new PassThrough()
  Object.assign(out, { isTTY })
  let text = ''
  let writes = 0
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString()
    writes++
  })
  const ended = new Promise(resolve => input.once('end', resolve))
  prefixLines(input, 'tax', 0, 7, out)
  for (const chunk of chunks)
    input.write(chunk)
  input.end()
  await ended
  return { text, writes }
}

describe('femto up merged log (prefixLines)', () => {
  it('prefixes every line, one write for all the lines of a chunk', async () => {
    const { text, writes } = await merged(['a\nb\nc\n'])
    expect(text).toBe('tax     | a\ntax     | b\ntax     | c\n')
    expect(writes).toBe(1)
  })

  it('keeps a line cut across chunks whole, and writes a last line without a newline when the stream ends', async () => {
    const { text } = await merged(['first li', 'ne\nsecond', ' line\nlast'])
    expect(text).toBe('tax     | first line\ntax     | second line\ntax     | last\n')
  })

  it('drops the \\r of CRLF line ends, as readline did', async () => {
    expect((await merged(['a\r\nb\r\n'])).text).toBe('tax     | a\ntax     | b\n')
  })

  it('decodes a character whose bytes come in two chunks', async () => {
    const bytes = Buffer.from('größe ✓\n')
    expect((await merged([bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9)])).text).toBe('tax     | größe ✓\n')
  })

  it('colours the name on a terminal', async () => {
    expect((await merged(['a\n'], true)).text).toBe('\u001B[36mtax    \u001B[0m | a\n')
  })

  it('writes nothing for a stream that ends with nothing', async () => {
    expect(await merged([])).toEqual({ text: '', writes: 0 })
  })

  it('writes the lines of several chunks and services together, in the order they came, within moments', async () => {
    const out = new PassThrough()
    const writes: string[] = []
    out.on('data', (chunk: Buffer) => void writes.push(chunk.toString()))
    const tax = new PassThrough()
    const quote = new PassThrough()
    prefixLines(tax, 'tax', 0, 5, out)
    prefixLines(quote, 'quote', 1, 5, out)
    tax.write('one\n')
    quote.write('two\n')
    tax.write('three\n')
    await expect.poll(() => writes).toEqual(['tax   | one\nquote | two\ntax   | three\n'])
    tax.write('four\n')
    await expect.poll(() => writes.join('')).toContain('tax   | four\n')
    expect(writes).toHaveLength(2)
  })
})
