import type { WriteStream } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PartHead, PartSink } from './multipart'
import type { FieldKind, ServedFunction } from './types'
import { join } from 'node:path'
import { decodeRich, isRich } from '../shared/codec'
import { closeAfterAnswer, tooLarge } from './body'
import { boundaryOf, multipartParser } from './multipart'
import { WireError } from './outcome'
import { spooledFile } from './spooled-file'
import { collectUploadGarbage, UPLOAD_GC_BYTES } from './upload-gc'

// Not `import … from 'node:fs'`: its ES module face reads every export, loading fs/promises and
// fs streams at start-up; node:os and node:fs/promises load with the first upload or clean-up.
const fs = process.getBuiltinModule('node:fs')

/**
 * A call whose arguments come as a form: `multipart/form-data` (files, from a browser's form, a
 * stub or `curl -F`) or `application/x-www-form-urlencoded` (a plain form). Each field is the
 * argument of the parameter of its name (or its position, `0`, `1`, …, as the stubs send them),
 * converted per the parameter's type (`fields`, decided at build time): text to a number, a
 * boolean or JSON; repeated fields to an array; a file to a `File` or `Blob` read from disk (it
 * was written there as it arrived), or bytes (`Uint8Array`); a `ReadableStream` parameter gets the
 * part's bytes while they arrive, and the function runs before the body has ended.
 * `bodyLimit` and `fileLimit` are enforced as bytes arrive.
 */
export const FORM_TYPES = /^(?:multipart\/form-data|application\/x-www-form-urlencoded)\s*(?:;|$)/i

export function isFormType(contentType: string | undefined): boolean {
  return contentType !== undefined && FORM_TYPES.test(contentType)
}

export interface FormArguments {
  /** Named arguments, as a JSON body's object would give them. */
  named: Record<string, unknown>
}

/**
 * Where an upload is written while it arrives: a file of its own in FEMTO_UPLOAD_DIR (else the
 * system's temporary folder), removed when its call's response closes, or at exit. No folder of
 * the process's: a service killed outright leaves nothing but the uploads of the calls it was
 * running, named with its machine and pid, which the next service to start there removes
 * (`removeDeadUploads`).
 */
const live = new Set<string>()
let cleanupAtExit = false
let spooled = 0
const BYTE_KINDS = new Set<FieldKind>(['File', 'Blob', 'Uint8Array', 'ReadableStream'])
/**
 * Parts of one body at most: each file part is a file written at once, so a small body of
 * thousands of empty files would hold as many descriptors (Go's mime/multipart has the same 1000, CVE-2023-24536).
 */
const MAX_PARTS = 1000
const SPOOL_NAME = /^femto-upload-([0-9a-f]{8})-(\d{1,10})-([0-9a-z]+)-/

function uploadDir(): string {
  return process.env.FEMTO_UPLOAD_DIR || process.getBuiltinModule('node:os').tmpdir()
}

/**
 * The machine, in the file name: a pid is only meaningful there, and containers sharing one
 * FEMTO_UPLOAD_DIR volume have pids of their own (each its own host name).
 */
let machine: string | undefined
/** Loaded on the first upload: at start-up, node:crypto was ~a fifth of a service's own load time. */
const nodeCrypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto')
function machineTag(): string {
  return machine ??= nodeCrypto().createHash('sha256').update(process.getBuiltinModule('node:os').hostname()).digest('hex').slice(0, 8)
}

const PROCESS_TAG = Symbol.for('femto.upload-process')
/**
 * This process among those that had its pid: a container's service is pid 1 (or 7) again after
 * its restart, so the pid alone would make the uploads a killed predecessor left look like ours.
 * Kept on the global: a dev server may load this module more than once in one process.
 */
function processTag(): string {
  const store = globalThis as { [PROCESS_TAG]?: string }
  return store[PROCESS_TAG] ??= nodeCrypto().randomBytes(4).toString('hex')
}

/** The start of the names of this process's uploads: `femto-upload-<machine>-<pid>-<process>-` (then `<n>-<random>`). */
export function spoolPrefix(): string {
  return `femto-upload-${machineTag()}-${process.pid}-${processTag()}-`
}

function spoolPath(): string {
  // Random too: in a shared temporary folder a name others can guess could be made a link first.
  const path = join(uploadDir(), `${spoolPrefix()}${++spooled}-${nodeCrypto().randomBytes(6).toString('hex')}`)
  if (!cleanupAtExit) {
    cleanupAtExit = true
    process.once('exit', () => {
      for (const file of live)
        fs.rmSync(file, { force: true })
    })
  }
  live.add(path)
  return path
}

/**
 * Removes the uploads of processes of this machine that no longer run (killed with SIGKILL, or
 * by the OOM killer, while a call was reading a file): a service calls it when it starts. A
 * process that runs but is not ours to signal (`EPERM`) still runs. Resolves to how many it removed.
 */
export async function removeDeadUploads(): Promise<number> {
  let names: string[]
  try {
    names = await process.getBuiltinModule('node:fs/promises').readdir(uploadDir())
  }
  catch {
    return 0
  }
  const alive = new Map<number, boolean>()
  let removed = 0
  for (const name of names) {
    const match = SPOOL_NAME.exec(name)
    if (!match || match[1] !== machineTag())
      continue
    const pid = Number(match[2])
    // With this process's pid: ours, or of an earlier process that had it (a restarted container's), gone.
    if (pid === process.pid ? match[3] === processTag() : (alive.get(pid) ?? alive.set(pid, isRunning(pid)).get(pid)))
      continue
    await process.getBuiltinModule('node:fs/promises').rm(join(uploadDir(), name), { force: true }).then(() => removed++, () => {})
  }
  return removed
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Reads a form body. `done` is called once: with the named arguments when they are all there
 * (for a stream parameter: when its part begins), or with the error that ends the call. The
 * files written for the call are removed when its response closes.
 */
export function readForm(fn: ServedFunction, req: IncomingMessage, res: ServerResponse, done: (error: WireError | undefined, args?: FormArguments) => void): void {
  const contentType = req.headers['content-type'] ?? ''
  const limit = fn.bodyLimit
  const fileLimit = fn.fileLimit ?? limit
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit)
    return done(tooLarge(limit))
  if (/^application\/x-www-form-urlencoded/i.test(contentType))
    return readUrlencoded(fn, req, limit, done)
  const boundary = boundaryOf(contentType)
  if (!boundary)
    return done(new WireError('UNSUPPORTED_MEDIA_TYPE', 'a multipart/form-data body needs a boundary in its content-type'))

  const fields = new Map<string, unknown[]>()
  // A FormData parameter gets every part, in order, as it came: its text, or its file.
  const whole = isWholeForm(fn)
  const entries: [name: string, value: string | File | undefined][] = []
  const files: string[] = []
  // Uploads still being written: a call that fails mid-file (a truncated body, a limit, a caller
  // gone) closes them, else each such call would keep a descriptor, and the deleted file's disk space, for good.
  const writing = new Set<WriteStream>()
  let settled = false
  let waiting = 0
  let parsed = false
  let size = 0
  let parts = 0
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined

  const stopWriting = (): void => {
    for (const out of writing)
      out.destroy()
    writing.clear()
  }
  res.once('close', () => {
    stopWriting()
    for (const path of files) {
      live.delete(path)
      fs.unlink(path, () => {})
    }
  })
  const settle = (error?: WireError): void => {
    if (settled) {
      // The function already has its stream: the failure ends that stream.
      if (error && stream)
        stream.error(error)
      stream = undefined
      return
    }
    settled = true
    if (error)
      return done(error)
    try {
      done(undefined, { named: whole ? wholeForm(fn, entries) : namedArguments(fn, fields) })
    }
    catch (failure) {
      done(failure as WireError)
    }
  }
  const fail = (error: WireError): void => {
    req.removeListener('data', onData)
    stopWriting()
    // The rest of the body is not read as a form: the connection cannot serve another call after it.
    closeAfterAnswer(req, res)
    settle(error)
  }
  const maybeDone = (): void => {
    if (parsed && waiting === 0)
      settle()
  }
  const add = (name: string, value: unknown): void => {
    const values = fields.get(name)
    if (values)
      values.push(value)
    else
      fields.set(name, [value])
  }

  // One part of a form that a FormData parameter gets whole: text as it is, a file written to disk.
  const entryPart = (head: PartHead): PartSink => {
    const entry: (typeof entries)[number] = [head.name, undefined]
    entries.push(entry)
    if (head.filename === undefined) {
      return textPart(head, 'string', (value) => {
        entry[1] = value instanceof Rich ? value.text : value as string
      })
    }
    waiting++
    const path = spoolPath()
    files.push(path)
    return filePart(head, path, fileLimit, (file) => {
      waiting--
      entry[1] = file
      maybeDone()
    }, fail, req, writing)
  }

  const parser = multipartParser(boundary, {
    part(head: PartHead): PartSink {
      if (++parts > MAX_PARTS) {
        fail(new WireError('PAYLOAD_TOO_LARGE', `the multipart body has more than ${MAX_PARTS} parts`))
        return { data: () => {}, end: () => {} }
      }
      if (whole)
        return entryPart(head)
      const param = paramOf(fn, head.name)
      const kind = param === undefined ? 'json' : fn.fields?.[param] ?? 'json'
      // The stubs send each argument that is not bytes as a part in the rich encoding (or JSON).
      // An array of files (`File[]`) comes as repeated parts, one per item.
      const item = kind.startsWith('[]') ? kind.slice(2) as FieldKind : kind
      // The function already runs with the stream: a part after it would be lost, text or file.
      if (settled)
        return failPart(fail, `the part '${head.name}' comes after the stream part; a stream parameter's part must be the last`)
      const encoded = head.type !== undefined && (isRich(head.type) || /^application\/json/i.test(head.type)) && !BYTE_KINDS.has(item)
      if (head.filename === undefined || encoded)
        return textPart(head, kind, value => add(head.name, value))
      // A file no parameter takes is refused before it is written to disk (text beside it is ignored, below).
      if (param === undefined)
        return failPart(fail, noParameter(fn, head.name))
      if (kind === 'ReadableStream') {
        return streamPart(head, fileLimit, (controllerAndStream) => {
          stream = controllerAndStream.controller
          add(head.name, controllerAndStream.stream)
          settle()
        }, fail, () => req.resume(), () => req.pause())
      }
      if (item === 'Uint8Array')
        return bytesPart(head, fileLimit, bytes => add(head.name, bytes), fail)
      if (item === 'File' || item === 'Blob' || item === 'json') {
        waiting++
        const path = spoolPath()
        files.push(path)
        // Its place is kept now: files of one field are written at their own pace, but keep their order.
        add(head.name, undefined)
        const values = fields.get(head.name)!
        const at = values.length - 1
        return filePart(head, path, fileLimit, (file) => {
          waiting--
          values[at] = file
          maybeDone()
        }, fail, req, writing)
      }
      return failPart(fail, `'${head.name}' is a ${kind}, not a file`)
    },
    done() {
      parsed = true
      if (stream) {
        stream.close()
        stream = undefined
      }
      maybeDone()
    },
    error(message: string) {
      fail(new WireError('INVALID_ARGUMENT', `the multipart body is malformed: ${message}`))
    },
  })

  let sinceGc = 0
  function onData(chunk: Buffer): void {
    size += chunk.length
    if (size > limit)
      return fail(tooLarge(limit))
    sinceGc += chunk.length
    if (sinceGc > UPLOAD_GC_BYTES) {
      sinceGc = 0
      collectUploadGarbage()
    }
    if (!parser.write(chunk))
      req.pause()
  }
  req.on('data', onData)
  req.on('end', () => parser.end())
  req.on('error', () => fail(new WireError('ABORTED', 'the caller went away before sending its whole body')))
  req.on('close', () => {
    if (!req.complete)
      fail(new WireError('ABORTED', 'the caller went away before sending its whole body'))
  })
}

function noParameter(fn: ServedFunction, field: string): string {
  return `${fn.name} has no parameter '${field}'; it takes (${fn.params.map(p => p.name).join(', ')})`
}

/** The index of the parameter a field names: its name, or its position as the stubs send it. */
function paramOf(fn: ServedFunction, field: string): number | undefined {
  const index = fn.params.findIndex(p => p.name === field)
  if (index >= 0)
    return index
  return /^\d{1,4}$/.test(field) && Number(field) < fn.params.length ? Number(field) : undefined
}

function textPart(head: PartHead, kind: FieldKind, add: (value: unknown) => void): PartSink {
  const chunks: Buffer[] = []
  return {
    data: (chunk) => {
      chunks.push(Buffer.from(chunk))
    },
    end: () => {
      const text = Buffer.concat(chunks).toString('utf8')
      add(head.type && isRich(head.type) ? new Rich(text) : head.type && /^application\/json/i.test(head.type) ? new Rich(text, true) : text)
    },
  }
}

/** A part the stubs sent in an encoding (the rich one or JSON): decoded as a whole value, not converted from text. */
class Rich {
  constructor(readonly text: string, readonly json = false) {}
}

function failPart(fail: (error: WireError) => void, message: string): PartSink {
  fail(new WireError('INVALID_ARGUMENT', message))
  return { data: () => {}, end: () => {} }
}

function bytesPart(head: PartHead, limit: number, add: (bytes: Uint8Array) => void, fail: (error: WireError) => void): PartSink {
  const chunks: Buffer[] = []
  let size = 0
  return {
    data: (chunk) => {
      size += chunk.length
      if (size > limit)
        return fail(fileTooLarge(head, limit))
      chunks.push(Buffer.from(chunk))
    },
    end: () => {
      const all = Buffer.concat(chunks)
      add(new Uint8Array(all.buffer, all.byteOffset, all.length))
    },
  }
}

function filePart(head: PartHead, path: string, limit: number, add: (file: File) => void, fail: (error: WireError) => void, req: IncomingMessage, writing: Set<WriteStream>): PartSink {
  // Readable by this user only (an upload is someone's document, in a folder other users list), and
  // created anew: a name that already exists, a link above all, is not written through.
  const out: WriteStream = fs.createWriteStream(path, { flags: 'wx', mode: 0o600 })
  writing.add(out)
  let size = 0
  let failed = false
  out.on('drain', () => req.resume())
  out.on('error', (error: NodeJS.ErrnoException) => {
    failed = true
    // The code only: the message names the file's path on the service's disk.
    fail(new WireError('INTERNAL_ERROR', `the upload '${head.name}' could not be written to disk (${error.code ?? 'error'})`))
  })
  out.once('close', () => writing.delete(out))
  return {
    data: (chunk) => {
      size += chunk.length
      if (size > limit) {
        failed = true
        out.destroy()
        fail(fileTooLarge(head, limit))
        return
      }
      return out.write(chunk)
    },
    end: () => {
      out.end(() => {
        // Closed before it was all written: the call failed meanwhile.
        if (failed || !out.writableFinished)
          return
        const type = head.type ?? 'application/octet-stream'
        // A Blob backed by the file on disk: its bytes are read only when the function reads them.
        fs.openAsBlob(path, { type }).then(
          blob => add(spooledFile(blob, baseName(head.filename!), type, path)),
          error => fail(new WireError('INTERNAL_ERROR', `the upload '${head.name}' could not be read back: ${(error as Error).message}`)),
        )
      })
    },
  }
}

/**
 * A file name without the folders a client put before it (`../../etc/passwd` → `passwd`, `C:\\a\\b.txt` →
 * `b.txt`), as a browser's `File.name` never has them; `.` and `..` become `''`. Busboy does the same.
 */
export function baseName(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1)
  return base === '.' || base === '..' ? '' : base
}

function streamPart(head: PartHead, limit: number, start: (handed: { stream: ReadableStream<Uint8Array>, controller: ReadableStreamDefaultController<Uint8Array> }) => void, fail: (error: WireError) => void, resume: () => void, pause: () => void): PartSink {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  // Up to 1 MB waits for the function to read it; past that the request is paused.
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => {
      controller = c
    },
    pull: () => resume(),
    cancel: () => resume(),
  }, { highWaterMark: 1024 * 1024, size: chunk => chunk.byteLength })
  start({ stream, controller })
  let size = 0
  return {
    data: (chunk) => {
      size += chunk.length
      if (size > limit) {
        fail(fileTooLarge(head, limit))
        return
      }
      try {
        controller.enqueue(chunk)
      }
      catch {
        // The function cancelled the stream: the rest is read and dropped.
        return
      }
      if ((controller.desiredSize ?? 1) <= 0) {
        pause()
        return false
      }
    },
    end: () => {},
  }
}

function fileTooLarge(head: PartHead, limit: number): WireError {
  return new WireError('PAYLOAD_TOO_LARGE', `the file '${head.filename || head.name}' is larger than the limit of ${limit} bytes per file`)
}

/** Said to `curl -d '[2,3]'` without a content type (looksLikeJson). */
const JSON_AS_FORM = 'this body is JSON sent as a form (content-type: application/x-www-form-urlencoded, what `curl -d` and Python\'s urllib send when no content type is given); send it with content-type: application/json'

function readUrlencoded(fn: ServedFunction, req: IncomingMessage, limit: number, done: (error: WireError | undefined, args?: FormArguments) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  let settled = false
  req.on('data', (chunk: Buffer) => {
    if (settled)
      return
    size += chunk.length
    if (size > limit) {
      settled = true
      return done(tooLarge(limit))
    }
    chunks.push(chunk)
  })
  req.on('end', () => {
    if (settled)
      return
    settled = true
    const fields = new Map<string, unknown[]>()
    const text = Buffer.concat(chunks).toString('utf8')
    if (looksLikeJson(text))
      return done(new WireError('UNSUPPORTED_MEDIA_TYPE', JSON_AS_FORM))
    if (isWholeForm(fn))
      return done(undefined, { named: wholeForm(fn, [...new URLSearchParams(text)]) })
    for (const [name, value] of new URLSearchParams(text)) {
      const values = fields.get(name)
      if (values)
        values.push(value)
      else
        fields.set(name, [value])
    }
    try {
      done(undefined, { named: namedArguments(fn, fields) })
    }
    catch (error) {
      done(error as WireError)
    }
  })
}

/**
 * `curl -d '[2,3]'` without a content type: read as a form, it is one field named `[2,3]` with
 * no value, which a form's unknown fields let through to "missing argument". No form a browser
 * sends starts with a bracket and has no `=`.
 */
function looksLikeJson(text: string): boolean {
  const start = text.trimStart()[0]
  return (start === '[' || start === '{') && !text.includes('=')
}

/** Whether the function's one parameter is a `FormData`, which gets the whole form. */
function isWholeForm(fn: ServedFunction): boolean {
  return fn.fields?.[0] === 'FormData'
}

/**
 * The form as the `FormData` a function takes (the global one: undici's in Node), its entries in
 * the order of the body; a file entry is the upload written to disk, as a `File` parameter gets it.
 */
function wholeForm(fn: ServedFunction, entries: [string, string | File | undefined][]): Record<string, unknown> {
  const form = new FormData()
  for (const [name, value] of entries) {
    // A File appended without a file name is kept as it is (not copied), so `get` gives the spooled one.
    if (value !== undefined)
      form.append(name, value as string)
  }
  return { [fn.params[0]!.name]: form }
}

/** The fields as named arguments, each converted per its parameter's kind. */
function namedArguments(fn: ServedFunction, fields: Map<string, unknown[]>): Record<string, unknown> {
  const named: Record<string, unknown> = {}
  for (const [field, values] of fields) {
    const index = paramOf(fn, field)
    if (index === undefined) {
      // A submit button's own name, or a CSRF field of the page's: a form carries more than arguments.
      if (values.every(v => typeof v === 'string'))
        continue
      throw new WireError('INVALID_ARGUMENT', noParameter(fn, field))
    }
    const param = fn.params[index]!
    const kind = fn.fields?.[index] ?? 'json'
    // A field sent twice for a parameter of one value (a name repeated in the page's form): said
    // as such, not as the type an array of them is not.
    if (values.length > 1 && !param.rest && !kind.startsWith('[]') && kind !== 'json')
      throw new WireError('INVALID_ARGUMENT', `the form sent '${field}' ${values.length} times, but ${fn.name}'s parameter '${param.name}' takes one ${kind === 'File' || kind === 'Blob' ? 'file' : 'value'}`)
    const converted = values.map(value => convert(value, kind, field))
    if (param.rest || kind.startsWith('[]') || converted.length > 1) {
      named[param.name] = converted.filter(v => v !== undefined)
    }
    else if (converted[0] !== undefined) {
      named[param.name] = converted[0]
    }
  }
  // A form says "no" by leaving a field out: an unchecked checkbox is false, an empty multi-select no items.
  fn.params.forEach((param, i) => {
    const kind = fn.fields?.[i]
    if (Object.hasOwn(named, param.name) || param.rest || kind === undefined)
      return
    if (kind === 'boolean')
      named[param.name] = false
    else if (kind.startsWith('[]'))
      named[param.name] = []
  })
  return named
}

/** One field's value, from its text, per the kind of its parameter; `undefined` is "left empty". */
function convert(value: unknown, kind: FieldKind, field: string): unknown {
  if (value instanceof Rich) {
    try {
      return value.json ? JSON.parse(value.text) : decodeRich(value.text)
    }
    catch (error) {
      throw new WireError('INVALID_ENCODING', `the field '${field}' does not decode: ${(error as Error).message}`)
    }
  }
  if (typeof value !== 'string') {
    // A file input left empty sends a nameless, empty file: no argument.
    if (value instanceof File && value.name === '' && value.size === 0)
      return undefined
    return value
  }
  const item = kind.startsWith('[]') ? kind.slice(2) as FieldKind : kind
  switch (item) {
    case 'string':
      return value
    case 'number': {
      if (value.trim() === '')
        return undefined
      const number = Number(value)
      if (!Number.isFinite(number))
        throw new WireError('INVALID_ARGUMENT', `the field '${field}' must be a number, got '${value.slice(0, 40)}'`)
      return number
    }
    case 'boolean':
      // A checkbox sends `on` when checked and nothing when not (the parameter is then absent).
      if (/^(?:on|true|1|yes)$/i.test(value))
        return true
      if (/^(?:off|false|0|no)?$/i.test(value))
        return false
      throw new WireError('INVALID_ARGUMENT', `the field '${field}' must be a boolean (on, true, false), got '${value.slice(0, 40)}'`)
    case 'text':
      // Date, bigint, URL: the checks convert their text forms.
      return value === '' ? undefined : value
    default:
      // Objects, unions: JSON text, else the text itself (a union of strings).
      if (value === '')
        return undefined
      try {
        return JSON.parse(value)
      }
      catch {
        return value
      }
  }
}
