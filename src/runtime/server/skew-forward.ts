import type { Agent, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { FunctionEntry } from './function-table'
import http from 'node:http'
import { pipeline } from 'node:stream'
import { keptAliveAgent, neverReached } from '../client/not-reached'
import { JSON_TYPE, NOT_REACHED_HEADER } from '../shared/protocol'
import { femtoRuntimeEnv } from './env'

/**
 * Version skew during a roll (docs/guide/version-skew.md#during-a-roll): a caller that has not
 * rolled yet calls a callee that has, at the callee's ordinary address, with the contract of the
 * callee's previous version. The callee knows where that version runs, from the same
 * `FEMTO_URL_<SERVICE>__<contract>` the gateway reads (femto up, Compose and Kubernetes set it on
 * the service itself too), and forwards the call there, once: the body streams through, every
 * header goes as it came (token, trace, request id), and the mark below keeps the version it
 * reaches from forwarding it again. Only a call whose contract differs from the function's comes
 * here, so calls that match pay nothing.
 */
export const FORWARDED_HEADER = 'x-femto-skew-forwarded'

/** Contracts are hex hashes: anything else in the header names no variable. */
const CONTRACT = /^[\da-f]{1,64}$/i

let agent: Agent | undefined
let https: Promise<typeof import('node:https')> | undefined
let httpsAgent: Agent | undefined
/** Logged once per contract and address, so that an operator sees where old callers go. */
const told = new Set<string>()

/**
 * Forwards the call to the previous version serving `contract`, if this service knows one;
 * false: it does not (or the call was forwarded already), and the call goes on to `STALE_CLIENT`.
 */
export function forwardToPrevious(entry: FunctionEntry, req: IncomingMessage, res: ServerResponse, contract: string): boolean {
  if (req.headers[FORWARDED_HEADER] !== undefined || !entry.previousEnv || !CONTRACT.test(contract))
    return false
  const origin = femtoRuntimeEnv[`${entry.previousEnv}__${contract}`]
  if (!origin)
    return false
  let target: URL
  try {
    target = new URL(req.url ?? entry.fn.route, origin)
  }
  catch {
    return false
  }
  if (!told.has(`${contract} ${origin}`)) {
    told.add(`${contract} ${origin}`)
    console.warn(`[femto] ${entry.fn.name}: calls built against contract ${contract} (this version has ${entry.fn.contract}) go to its previous version at ${origin}`)
  }
  if (target.protocol === 'https:') {
    // Rare (services speak http inside a deployment): node:https is loaded on the first such call.
    req.pause()
    void (https ??= import('node:https')).then(
      client => send(client.request, httpsAgent ??= keptAliveAgent(client.Agent), target, req, res),
      () => send(http.request, agent ??= keptAliveAgent(http.Agent), target, req, res),
    )
  }
  else {
    send(http.request, agent ??= keptAliveAgent(http.Agent), target, req, res)
  }
  return true
}

type Request = typeof http.request

function send(request: Request, via: Agent, target: URL, req: IncomingMessage, res: ServerResponse): void {
  const headers: OutgoingHttpHeaders = { ...req.headers, host: target.host, [FORWARDED_HEADER]: '1' }
  // The host the caller addressed, for the previous version's origin check (a gateway before us set it already).
  if (req.headers['x-forwarded-host'] === undefined && req.headers.host !== undefined)
    headers['x-forwarded-host'] = req.headers.host
  // They describe this hop's connection, not the call.
  delete headers.connection
  delete headers['keep-alive']
  let upstream: http.ClientRequest
  try {
    upstream = request(target, { method: req.method, headers, agent: via }, (answer) => {
      const out = { ...answer.headers }
      delete out.connection
      delete out['keep-alive']
      delete out['transfer-encoding']
      res.writeHead(answer.statusCode ?? 502, out)
      // A streamed result goes through as it comes, not when Node's buffers fill.
      if (answer.headers['content-length'] === undefined)
        res.flushHeaders()
      pipeline(answer, res, () => {})
    })
  }
  catch (error) {
    return fail(res, 400, 'INVALID_ARGUMENT', `the call cannot be forwarded to the previous version at ${target.origin}: ${(error as Error).message}`)
  }
  // A caller that goes away takes the forwarded call with it.
  res.once('close', () => {
    if (!res.writableFinished)
      upstream.destroy()
  })
  upstream.on('error', (error) => {
    if (res.headersSent)
      return void res.destroy()
    req.resume()
    // Never reached the previous version (it is restarting): the caller's stub may try again.
    if (neverReached(error))
      res.setHeader(NOT_REACHED_HEADER, '1')
    fail(res, 502, 'UNAVAILABLE', `the previous version at ${target.origin} did not answer: ${error.message}`)
  })
  req.pipe(upstream)
  req.resume()
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent || res.destroyed)
    return
  const body = JSON.stringify({ error: { code, message } })
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
