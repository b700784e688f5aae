import type { Agent, IncomingMessage } from 'node:http'
import type { StubMeta } from '../protocol'
import http from 'node:http'
import { parseResult } from '../client'
import { errorFromResponse, FemtoError } from '../errors'

// Service-to-service calls reuse connections: a keep-alive `node:http` call costs about half a
// `fetch`. Agents are made on first use, and `node:https` (which loads TLS, ~10 ms) only when
// a callee is on https, so a service that calls nobody starts as fast as one without stubs.
let httpAgent: Agent | undefined
let https: Promise<typeof import('node:https')> | undefined
let httpsAgent: Agent | undefined
const targets = new Map<string, URL>()

/** Where a callee lives: `FEMTO_URL_<NAME>`, else `FEMTO_GATEWAY`, else the manifest port on loopback. */
export function targetOf(meta: StubMeta): URL {
  let url = targets.get(meta.name)
  if (!url) {
    const origin = (meta.env && process.env[meta.env]) || process.env.FEMTO_GATEWAY || `http://127.0.0.1:${meta.port}`
    url = new URL(origin.replace(/\/$/, '') + meta.route)
    targets.set(meta.name, url)
  }
  return url
}

/** The helper of stubs inside services: a femto function calling one hosted elsewhere. */
export async function callService(meta: StubMeta, args: unknown[]): Promise<unknown> {
  const url = targetOf(meta)
  let client: typeof http | typeof import('node:https') = http
  let agent: Agent
  if (url.protocol === 'https:') {
    client = await (https ??= import('node:https'))
    agent = httpsAgent ??= new client.Agent({ keepAlive: true })
  }
  else {
    agent = httpAgent ??= new http.Agent({ keepAlive: true })
  }
  const body = JSON.stringify(args)
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()
        const status = res.statusCode ?? 0
        try {
          if (status >= 200 && status < 300)
            resolve(parseResult(meta, text))
          else
            reject(errorFromResponse(status, text, res.headers['x-request-id'] as string | undefined))
        }
        catch (error) {
          reject(error)
        }
      })
    })
    req.on('error', error => reject(new FemtoError(503, {
      code: 'UNAVAILABLE',
      message: `could not reach femto function '${meta.name}' at ${url.href}: ${error.message}`,
    })))
    req.end(body)
  })
}
