import type { IncomingMessage } from 'node:http'
import { WireError } from './outcome'

/** Reads the request body as text, refusing more than `limit` bytes as early as it can. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limit)
    return Promise.reject(tooLarge(limit))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        chunks.length = 0
        req.removeAllListeners('data')
        // Keep draining so the client can read the 413 instead of a reset connection.
        req.resume()
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()))
    req.on('error', reject)
  })
}

function tooLarge(limit: number): WireError {
  return new WireError('PAYLOAD_TOO_LARGE', `request body is larger than the limit of ${limit} bytes`)
}
