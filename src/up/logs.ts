import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

const COLORS = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92]

/** How long merged lines wait to be written together; a person reading them sees no delay. */
const FLUSH_MS = 10
/** More than this is written at once. */
const FLUSH_BYTES = 64 * 1024

/** Batches with lines not written yet: written when the process exits. */
const waiting = new Set<{ flush: () => void }>()
process.once('exit', () => {
  for (const batch of waiting)
    batch.flush()
})

/**
 * The merged lines bound for one output, written together at most every FLUSH_MS. Writing to
 * stdout is a system call that blocks when it is a pipe or a terminal (Node writes those
 * synchronously): under load, a write per chunk a service wrote was ~6% of femto up's profile,
 * on the event loop its gateway shares. Every service's lines go through the output's one
 * batch, so they stay in the order they came; what is pending is written when the process exits.
 */
class Batch {
  private text = ''
  private timer: ReturnType<typeof setTimeout> | undefined
  constructor(private readonly out: NodeJS.WritableStream) {}

  add(text: string): void {
    this.text += text
    if (this.text.length >= FLUSH_BYTES)
      return this.flush()
    if (this.timer === undefined) {
      this.timer = setTimeout(this.flush, FLUSH_MS).unref()
      waiting.add(this)
    }
  }

  readonly flush = (): void => {
    clearTimeout(this.timer)
    this.timer = undefined
    waiting.delete(this)
    if (this.text === '')
      return
    const text = this.text
    this.text = ''
    this.out.write(text)
  }
}

const batches = new WeakMap<NodeJS.WritableStream, Batch>()
function batchFor(out: NodeJS.WritableStream): Batch {
  let batch = batches.get(out)
  if (!batch)
    batches.set(out, batch = new Batch(out))
  return batch
}

/**
 * One merged log stream: every line of every service, prefixed by its name. Each chunk a service
 * writes (under load, many request lines at once) is split into lines once, not per line (readline
 * cost femto up ~35 µs per request line, on the event loop its gateway shares), and goes to the
 * output's batch.
 * A line cut across chunks waits for its end; a last line without one is written when the stream ends.
 */
export function prefixLines(stream: Readable, name: string, index: number, width: number, out: NodeJS.WritableStream): void {
  const label = name.padEnd(width)
  const prefix = `${(out as any).isTTY ? `\u001B[${COLORS[index % COLORS.length]}m${label}\u001B[0m` : label} | `
  const decoder = new StringDecoder('utf8')
  const batch = batchFor(out)
  let partial = ''
  stream.on('data', (chunk: Buffer | string) => {
    const text = partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk))
    const end = text.lastIndexOf('\n')
    if (end === -1) {
      partial = text
      return
    }
    partial = text.slice(end + 1)
    const lines = text.slice(0, end).split('\n')
    let merged = ''
    for (const line of lines)
      merged += `${prefix}${line.endsWith('\r') ? line.slice(0, -1) : line}\n`
    batch.add(merged)
  })
  stream.once('end', () => {
    const rest = partial + decoder.end()
    partial = ''
    if (rest !== '')
      batch.add(`${prefix}${rest.endsWith('\r') ? rest.slice(0, -1) : rest}\n`)
    batch.flush()
  })
}
