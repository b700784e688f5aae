/**
 * A streaming `multipart/form-data` parser (RFC 7578): bytes go in as they arrive, each part's
 * headers and then its body come out in pieces, so that a file is never held whole. Written here
 * rather than taken from busboy: the service needs only form-data with `name`, `filename` and
 * `content-type` (no charsets of headers, no nested multipart), and ~2 KB minified of code
 * without dependencies keeps every service free of a bundled third-party parser.
 */

export interface PartHead {
  /** The field name (`name=` of its content-disposition). */
  name: string
  /** Set for a file part, even to `''` (a file input left empty sends `filename=""`). */
  filename?: string
  /** The part's content-type, if it said one. */
  type?: string
}

export interface PartSink {
  /** A piece of the part's body; `false` asks to stop reading until `resume` is called. */
  data: (chunk: Buffer) => boolean | void
  end: () => void
}

export interface MultipartEvents {
  part: (head: PartHead) => PartSink
  /** The closing boundary was read; anything after it (the epilogue) is ignored. */
  done: () => void
  error: (message: string) => void
}

const MAX_HEADER_BYTES = 16 * 1024
const CRLF2 = Buffer.from('\r\n\r\n')

/** The boundary of a `multipart/form-data` content-type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType)
  return match ? match[1] ?? match[2] : undefined
}

export interface MultipartParser {
  /** Feeds bytes; returns false when a part's sink asked to pause. */
  write: (chunk: Buffer) => boolean
  /** The body ended: an error unless the closing boundary was seen. */
  end: () => void
}

export function multipartParser(boundary: string, events: MultipartEvents): MultipartParser {
  // The first boundary may come without the CRLF before it; every later one has it.
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  let buffered: Buffer = Buffer.from('\r\n')
  let state: 'preamble' | 'after-boundary' | 'headers' | 'body' | 'done' | 'failed' = 'preamble'
  let sink: PartSink | undefined
  // A sink's callback may end the parse (a limit): read through a call, which TypeScript does not narrow.
  const stopped = (): boolean => state === 'done' || state === 'failed'

  const fail = (message: string): false => {
    state = 'failed'
    events.error(message)
    return false
  }

  const write = (chunk: Buffer): boolean => {
    if (stopped())
      return true
    if (chunk.length >= delimiter.length && buffered.length > 0 && state === 'body' && buffered.length < delimiter.length) {
      // The usual case mid-file: a few bytes kept back in case they began a delimiter. When the
      // new chunk does not complete one, they are the part's, and the chunk is read without copying it.
      const joint = Buffer.concat([buffered, chunk.subarray(0, delimiter.length)])
      const at = joint.indexOf(delimiter)
      if (at < 0 || at >= buffered.length) {
        const kept = buffered
        buffered = chunk
        if (sink!.data(kept) === false) {
          write(Buffer.alloc(0))
          return false
        }
        return write(Buffer.alloc(0))
      }
    }
    buffered = buffered.length === 0 ? chunk : chunk.length === 0 ? buffered : Buffer.concat([buffered, chunk])
    let goOn = true
    for (;;) {
      if (state === 'preamble') {
        const at = buffered.indexOf(delimiter)
        if (at < 0) {
          // Keep what may be the start of the delimiter.
          buffered = buffered.subarray(Math.max(0, buffered.length - delimiter.length + 1))
          return goOn
        }
        buffered = buffered.subarray(at + delimiter.length)
        state = 'after-boundary'
      }
      if (state === 'after-boundary') {
        if (buffered.length < 2)
          return goOn
        if (buffered[0] === 0x2D && buffered[1] === 0x2D) {
          state = 'done'
          events.done()
          return goOn
        }
        // Transport padding (spaces, tabs) may follow a boundary before its CRLF.
        const eol = buffered.indexOf('\r\n')
        if (eol < 0)
          return buffered.length > 256 ? fail('a multipart boundary is not followed by a line break') : goOn
        buffered = buffered.subarray(eol + 2)
        state = 'headers'
      }
      if (state === 'headers') {
        const end = buffered.indexOf(CRLF2)
        // A part with no headers at all has its empty line right away.
        const empty = buffered.length >= 2 && buffered[0] === 0x0D && buffered[1] === 0x0A
        if (end < 0 && !empty) {
          if (buffered.length > MAX_HEADER_BYTES)
            return fail(`the headers of a multipart part are longer than ${MAX_HEADER_BYTES} bytes`)
          return goOn
        }
        const text = empty ? '' : buffered.subarray(0, end).toString('latin1')
        buffered = buffered.subarray(empty ? 2 : end + 4)
        const head = parseHead(text)
        if (typeof head === 'string')
          return fail(head)
        sink = events.part(head)
        if (stopped())
          return goOn
        state = 'body'
      }
      if (state === 'body') {
        const at = buffered.indexOf(delimiter)
        if (at < 0) {
          // All but what may be the start of the next delimiter is the part's.
          const safe = buffered.length - delimiter.length + 1
          if (safe > 0) {
            if (sink!.data(buffered.subarray(0, safe)) === false)
              goOn = false
            buffered = buffered.subarray(safe)
          }
          return goOn
        }
        if (at > 0 && sink!.data(buffered.subarray(0, at)) === false)
          goOn = false
        sink!.end()
        sink = undefined
        buffered = buffered.subarray(at + delimiter.length)
        if (stopped())
          return goOn
        state = 'after-boundary'
      }
    }
  }

  return {
    write,
    end: () => {
      if (state !== 'done' && state !== 'failed')
        fail('the multipart body ended before its closing boundary')
    },
  }
}

/** The name, filename and type of a part from its header lines, or why they are refused. */
function parseHead(text: string): PartHead | string {
  let disposition: string | undefined
  let type: string | undefined
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0)
      continue
    const key = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (key === 'content-disposition')
      disposition = value
    else if (key === 'content-type')
      type = value
  }
  if (!disposition || !/^form-data\b/i.test(disposition))
    return 'a multipart part has no content-disposition: form-data header'
  const name = paramOf(disposition, 'name')
  if (name === undefined)
    return 'a multipart part has no name'
  const filename = paramOf(disposition, 'filename')
  return { name, ...(filename !== undefined ? { filename } : {}), ...(type ? { type } : {}) }
}

/** A parameter of content-disposition: quoted (with `\"` escapes, as older clients write it) or a token; UTF-8 bytes read as such. */
function paramOf(header: string, key: string): string | undefined {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(header)
  if (!match)
    return undefined
  // A backslash escapes only a quote or a backslash: browsers and curl send any other as it is (`C:\docs\cv.pdf`, a path form.ts cuts).
  const raw = match[1] !== undefined ? match[1].replace(/\\(["\\])/g, '$1') : match[2]!
  // The header was read as latin1 (one char per byte); browsers send names in UTF-8, with `"`, CR
  // and LF written as %22, %0D and %0A (the HTML standard's multipart/form-data encoding).
  return Buffer.from(raw, 'latin1').toString('utf8').replace(/%(22|0D|0A)/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}
