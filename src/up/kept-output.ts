/**
 * The last `limit` bytes (about) that a process wrote, kept as the chunks came: no copy and no
 * decoding per chunk, which a busy service's request lines would make on femto up's event loop
 * (joining and cutting two MiB every MiB showed in its profile under load, and in its p99). The
 * oldest chunks are let go once the rest hold `limit` bytes; the text is made when it is read.
 */
export function keptOutput(limit: number): { keep: (chunk: Buffer) => void, text: () => string } {
  let kept: Buffer[] = []
  let first = 0
  let size = 0
  return {
    keep(chunk) {
      kept.push(chunk)
      size += chunk.length
      while (size - kept[first]!.length >= limit)
        size -= kept[first++]!.length
      // The let-go chunks' slots, once there are many of them.
      if (first >= 1024) {
        kept = kept.slice(first)
        first = 0
      }
    },
    text: () => Buffer.concat(kept.slice(first)).toString().slice(-limit),
  }
}
