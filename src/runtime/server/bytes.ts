import type { Call } from './call-record'
import { Readable } from 'node:stream'
import { BYTES_HEADER } from '../shared/bytes'
import { now } from './clock'
import { observe } from './observe'
import { logThrown } from './thrown'

/** A result that is bytes: a `Blob` (a `File`), a `Uint8Array` or a `ReadableStream` of them. */
export function isBytes(value: unknown): value is Blob | Uint8Array | ReadableStream<Uint8Array> {
  return value instanceof Uint8Array || value instanceof Blob || value instanceof ReadableStream
}

/**
 * Sends a bytes result as itself, not as JSON text: with the Blob's type (else
 * `application/octet-stream`), its size when known, and a File's name as `content-disposition`
 * (`inline`, so a browser shows what it can and saves the rest under that name).
 */
export function sendBytes(call: Call, value: Blob | Uint8Array | ReadableStream<Uint8Array>): void {
  const { res, requestId } = call
  const type = value instanceof Blob && value.type ? value.type : 'application/octet-stream'
  // What the value was, so that a stub gives back the same kind (bytes.ts of the client).
  const kind = value instanceof File ? 'File' : value instanceof Blob ? 'Blob' : value instanceof ReadableStream ? 'ReadableStream' : 'Uint8Array'
  const headers: (string | number)[] = ['content-type', type, BYTES_HEADER, kind, 'x-request-id', requestId, 'server-timing', `fn;dur=${(now() - call.start).toFixed(2)}`]
  if (value instanceof File && value.name)
    headers.push('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(value.name)}`)
  if (value instanceof Uint8Array) {
    headers.push('content-length', value.byteLength)
    observe(call, 200, undefined)
    res.writeHead(200, headers as unknown as string[])
    res.end(value)
    return
  }
  if (value instanceof Blob)
    headers.push('content-length', value.size)
  res.writeHead(200, headers as unknown as string[])
  const body = Readable.fromWeb((value instanceof Blob ? value.stream() : value) as import('node:stream/web').ReadableStream)
  body.on('error', (error) => {
    // The status is sent: a failing source can only cut the body short.
    logThrown(`[femto] ${call.fn.name}: its bytes result failed while being sent (request ${requestId})`, error)
    observe(call, 500, 'STREAM_ERROR')
    res.destroy()
  })
  res.once('close', () => {
    if (!res.writableFinished)
      body.destroy()
  })
  body.pipe(res).once('finish', () => observe(call, 200, undefined))
}
