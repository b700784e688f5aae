/**
 * Bytes on the wire (docs/guide/files-and-forms.md): arguments that are `Blob`, `File`,
 * `Uint8Array` or `ReadableStream` go as parts of a `multipart/form-data` body, one per argument,
 * named by position (an array of `File`s or `Blob`s: one part per item, under that name); the other arguments go beside them as parts in the rich encoding. A bytes
 * result comes back as the body itself, with `x-femto-bytes` saying which kind it was. A `FormData`
 * argument (a function's only parameter) is the multipart body itself, its entries as they are.
 */
import { encodeRich, RICH_TYPE } from './codec'

export const BYTES_HEADER = 'x-femto-bytes'

export function isBytesValue(value: unknown): value is Blob | Uint8Array | ReadableStream<Uint8Array> {
  return typeof value === 'object' && value !== null && (value instanceof Blob || value instanceof Uint8Array || (typeof ReadableStream !== 'undefined' && value instanceof ReadableStream))
}

/** `File[]`, `Blob[]`: one part per item, all under the parameter's position. */
function isBlobList(value: unknown): value is Blob[] {
  return Array.isArray(value) && value.length > 0 && value.every(item => item instanceof Blob)
}

function isFormData(value: unknown): value is FormData {
  return typeof FormData !== 'undefined' && value instanceof FormData
}

/** Whether a call's arguments need the multipart body: one of them is bytes. */
export function hasBytes(args: unknown[]): boolean {
  for (const arg of args) {
    if (isFormData(arg) || isBlobList(arg))
      return true
    // A Uint8Array stays in the rich encoding, which carries typed arrays exactly wherever they are.
    if (isBytesValue(arg) && !(arg instanceof Uint8Array))
      return true
  }
  return false
}

/**
 * The multipart body of a call with bytes. A stream is read whole first: browsers stream a
 * request body only over HTTP/2, and a form's parts need their ends; curl and other raw clients
 * can stream one to the service as it is produced.
 */
export async function formOfArgs(args: unknown[]): Promise<FormData> {
  const given = args.find(isFormData)
  if (given) {
    // The build refuses a FormData parameter beside others (docs/guide/files-and-forms.md).
    if (args.length !== 1)
      throw new TypeError('a FormData argument must be the only argument of a femto function')
    return given
  }
  const form = new FormData()
  // Values first: the service calls a function with a stream parameter when its part begins.
  for (let i = 0; i < args.length; i++) {
    if (!isBytesValue(args[i]) && !isBlobList(args[i]))
      form.append(String(i), new Blob([encodeRich(args[i])], { type: RICH_TYPE }), 'value')
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (isBlobList(arg)) {
      for (const item of arg)
        form.append(String(i), item, item instanceof File ? item.name : 'blob')
    }
    else if (arg instanceof File) {
      form.append(String(i), arg, arg.name)
    }
    else if (arg instanceof Blob) {
      form.append(String(i), arg, 'blob')
    }
    else if (arg instanceof Uint8Array) {
      form.append(String(i), new Blob([arg as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }), 'bytes')
    }
    else if (isBytesValue(arg)) {
      form.append(String(i), await new Response(arg as ReadableStream<Uint8Array>).blob(), 'stream')
    }
  }
  return form
}

/** A bytes answer as the kind of value the function returned. */
export async function bytesOfResponse(response: Response, kind: string): Promise<unknown> {
  if (kind === 'ReadableStream')
    return response.body
  if (kind === 'Uint8Array')
    return new Uint8Array(await response.arrayBuffer())
  const blob = await response.blob()
  if (kind !== 'File')
    return blob
  const disposition = response.headers.get('content-disposition') ?? ''
  const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1]
  return new File([blob], name ? decodeURIComponent(name) : 'download', { type: blob.type })
}
