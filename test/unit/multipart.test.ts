import { describe, expect, it } from 'vitest'
import { boundaryOf, multipartParser } from '../../src/runtime/server/multipart'

/** A body as a browser's FormData writes it, parsed in chunks of every size from 1 byte up. */
async function bodyOf(form: FormData): Promise<{ bytes: Buffer, boundary: string }> {
  const request = new Request('http://x/', { method: 'POST', body: form })
  return { bytes: Buffer.from(await request.arrayBuffer()), boundary: boundaryOf(request.headers.get('content-type')!)! }
}

function parse(bytes: Buffer, boundary: string, chunk: number): { parts: { name: string, filename?: string, type?: string, body: string }[], done: boolean, error?: string } {
  const parts: { name: string, filename?: string, type?: string, body: string }[] = []
  let done = false
  let error: string | undefined
  const parser = multipartParser(boundary, {
    part(head) {
      const chunks: Buffer[] = []
      return { data: (c) => {
        chunks.push(Buffer.from(c))
      }, end: () => parts.push({ ...head, body: Buffer.concat(chunks).toString('latin1') }) }
    },
    done: () => {
      done = true
    },
    error: (message) => {
      error = message
    },
  })
  for (let i = 0; i < bytes.length; i += chunk)
    parser.write(bytes.subarray(i, i + chunk))
  parser.end()
  return { parts, done, error }
}

describe('multipartParser', () => {
  it('reads fields and files whatever the chunking, including bytes that look like a boundary', async () => {
    const form = new FormData()
    form.append('label', 'héllo')
    const tricky = Buffer.concat([Buffer.from('\r\n--'), Buffer.alloc(300, 0x2D), Buffer.from('\r\n\r\nend')])
    form.append('file', new Blob([tricky], { type: 'image/png' }), 'a "b".png')
    form.append('empty', new Blob([]), '')
    const { bytes, boundary } = await bodyOf(form)
    for (const chunk of [1, 2, 3, 7, 64, 100, 4096, bytes.length]) {
      const { parts, done, error } = parse(bytes, boundary, chunk)
      expect(error).toBeUndefined()
      expect(done).toBe(true)
      expect(parts.map(p => p.name)).toEqual(['label', 'file', 'empty'])
      expect(Buffer.from(parts[0]!.body, 'latin1').toString('utf8')).toBe('héllo')
      expect(parts[1]).toMatchObject({ filename: 'a "b".png', type: 'image/png' })
      expect(Buffer.from(parts[1]!.body, 'latin1').equals(tricky)).toBe(true)
      expect(parts[2]).toMatchObject({ name: 'empty', body: '' })
    }
  })

  it('says why a truncated or malformed body is refused', async () => {
    const form = new FormData()
    form.append('a', 'b')
    const { bytes, boundary } = await bodyOf(form)
    expect(parse(bytes.subarray(0, bytes.length - 10), boundary, 5).error).toMatch(/ended before its closing boundary/)
    expect(parse(Buffer.from(`--${boundary}\r\nx-other: 1\r\n\r\nv\r\n--${boundary}--`), boundary, 4).error).toMatch(/content-disposition/)
  })

  it('keeps a backslash of a file name that escapes nothing, as browsers and curl send a Windows path', () => {
    const part = (filename: string): string => `--b\r\ncontent-disposition: form-data; name="f"; filename="${filename}"\r\n\r\nx\r\n`
    const { parts } = parse(Buffer.from(`${part('C:\\docs\\cv.pdf')}${part('a\\"b\\\\c')}--b--`), 'b', 7)
    expect(parts.map(p => p.filename)).toEqual(['C:\\docs\\cv.pdf', 'a"b\\c'])
  })
})
