import type { Readable } from 'node:stream'
import { createInterface } from 'node:readline'

const COLORS = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92]

/** One merged log stream: every line of every service, prefixed by its name. */
export function prefixLines(stream: Readable, name: string, index: number, width: number, out: NodeJS.WritableStream): void {
  const label = name.padEnd(width)
  const colored = (out as any).isTTY ? `\u001B[${COLORS[index % COLORS.length]}m${label}\u001B[0m` : label
  createInterface({ input: stream }).on('line', line => out.write(`${colored} | ${line}\n`))
}
