/**
 * Node's HTTP server reads each piece of a request into a new buffer (64 KB), and V8 frees those
 * only at a garbage collection, which it starts for such memory only after ~64 MB of it: a large
 * upload raises a process's RSS by 40–60 MB even on a bare `node:http` server that keeps nothing
 * (bench/HISTORY.md, Uploads). The buffers of an upload die young, so a minor collection (a
 * scavenge, well under a millisecond here) every UPLOAD_GC_BYTES of upload frees them early and
 * keeps the rise of a 200 MB upload written to disk near 12 MB (50 scavenges). Only uploads pay for it; `FEMTO_UPLOAD_GC=0` turns it off.
 */
export const UPLOAD_GC_BYTES = 4 * 1024 * 1024

let minorGc: ((options: { type: 'minor' }) => void) | null | undefined

export function collectUploadGarbage(): void {
  if (minorGc === undefined)
    minorGc = loadGc()
  minorGc?.({ type: 'minor' })
}

function loadGc(): typeof minorGc {
  if (process.env.FEMTO_UPLOAD_GC === '0')
    return null
  const existing = (globalThis as { gc?: typeof minorGc }).gc
  if (typeof existing === 'function')
    return existing
  try {
    // Exposes `gc` to new contexts only; the service's own global stays as it was. Loaded here,
    // not at start-up: node:v8 and node:vm are ~a dozen internal modules a service without uploads never needs.
    const { setFlagsFromString } = process.getBuiltinModule('node:v8')
    setFlagsFromString('--expose-gc')
    const gc = process.getBuiltinModule('node:vm').runInNewContext('gc') as typeof minorGc
    setFlagsFromString('--no-expose-gc')
    return typeof gc === 'function' ? gc : null
  }
  catch {
    return null
  }
}
