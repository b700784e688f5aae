import type { Agent, IncomingMessage } from 'node:http'
import type { StubMeta } from '../protocol'
import http from 'node:http'
import { callSignal, parseResult, streamCall, stubHeaders, transportError } from '../client'
import { encodeArgs, isRich } from '../codec'
import { errorFromResponse } from '../errors'
import { takeCallOptions } from '../options'

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
export function callService(meta: StubMeta, args: unknown[]): Promise<unknown> | AsyncIterable<unknown> {
  const options = takeCallOptions()
  const url = targetOf(meta)
  return meta.stream ? streamCall(url.href, meta, args, options) : unaryCall(url, meta, args, options)
}

async function unaryCall(url: URL, meta: StubMeta, args: unknown[], options: ReturnType<typeof takeCallOptions>): Promise<unknown> {
  let client: typeof http | typeof import('node:https') = http
  let agent: Agent
  if (url.protocol === 'https:') {
    client = await (https ??= import('node:https'))
    agent = httpsAgent ??= new client.Agent({ keepAlive: true })
  }
  else {
    agent = httpAgent ??= new http.Agent({ keepAlive: true })
  }
  const { body, type } = encodeArgs(args)
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'POST',
      agent,
      signal: callSignal(options),
      headers: { ...stubHeaders(meta, options, type), 'content-length': String(Buffer.byteLength(body)) },
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', error => reject(transportError(meta, error, options, ` at ${url.href}`)))
      res.on('end', () => {
        const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()
        const status = res.statusCode ?? 0
        const rich = isRich(res.headers['content-type'])
        try {
          if (status >= 200 && status < 300)
            resolve(parseResult(meta, text, rich))
          else
            reject(errorFromResponse(status, text, res.headers['x-request-id'] as string | undefined, rich))
        }
        catch (error) {
          reject(error)
        }
      })
    })
    req.on('error', error => reject(transportError(meta, error, options, ` at ${url.href}`)))
    req.end(body)
  })
}
