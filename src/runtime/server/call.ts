import type { IncomingMessage } from 'node:http'
import type { StubMeta } from '../protocol'
import http from 'node:http'
import https from 'node:https'
import { parseResult } from '../client'
import { errorFromResponse, FemtoError } from '../errors'

// Service-to-service calls reuse connections: a keep-alive `node:http` call costs about half a `fetch`.
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) }
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
export function callService(meta: StubMeta, args: unknown[]): Promise<unknown> {
  const url = targetOf(meta)
  const body = JSON.stringify(args)
  const secure = url.protocol === 'https:'
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? agents.https : agents.http,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300)
          resolve(parseResult(meta, text))
        else
          reject(errorFromResponse(status, text, res.headers['x-request-id'] as string | undefined))
      })
    })
    req.on('error', error => reject(new FemtoError(503, {
      code: 'UNAVAILABLE',
      message: `could not reach femto function '${meta.name}' at ${url.href}: ${error.message}`,
    })))
    req.end(body)
  })
}
