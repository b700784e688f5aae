import type { Agent, IncomingMessage } from 'node:http'
import type { CallOptions } from '../client/options'
import type { FemtoError } from '../shared/errors'
import type { StubMeta } from '../shared/protocol'
import type { RequestContext } from './context'
import http from 'node:http'
import { urlToHttpOptions } from 'node:url'
import { abortedError, callFemtoUrl, callSignal, failedResponse, parseResult, streamCall, stubHeaders, transportError } from '../client/call'
import { keptAliveAgent, withConnectTimeout } from '../client/not-reached'
import { takeCallOptions } from '../client/options'
import { callWithPolicy, deadlineError } from '../client/resilience'
import { hasBytes } from '../shared/bytes'
import { encodeArgs, isRich } from '../shared/codec'
import { describing } from '../shared/describe'
import { NOT_REACHED_HEADER } from '../shared/protocol'
import { requestContexts } from './context'
import { femtoRuntimeEnv } from './env'
import { FORWARDED_AUTHORIZATION, INTERNAL_HEADER } from './guard'
import { metrics } from './metrics'
import { heldDuringRoll } from './skew'
import { outgoingTraceHeaders } from './trace'

// Service-to-service calls reuse connections: a keep-alive `node:http` call costs about half a
// `fetch`. Agents are made on first use, and `node:https` (which loads TLS, ~10 ms) only when
// a callee is on https, so a service that calls nobody starts as fast as one without stubs.
let httpAgent: Agent | undefined
let https: Promise<typeof import('node:https')> | undefined
let httpsAgent: Agent | undefined
/** For a try after `STALE_CLIENT` (skew.ts): a connection of its own, closed after the answer. */
let freshAgent: Agent | undefined
let freshHttpsAgent: Agent | undefined
const targets = new Map<string, URL>()

/**
 * Where a callee lives: `FEMTO_URL_<NAME>__<contract>` (a previous version of the callee that
 * serves the contract this stub was built against: version skew), else `FEMTO_URL_<NAME>`, else
 * `FEMTO_GATEWAY`, else the manifest port on loopback.
 */
export function targetOf(meta: StubMeta): URL {
  let url = targets.get(meta.name)
  if (!url) {
    const origin = (meta.env && meta.contract && femtoRuntimeEnv[`${meta.env}__${meta.contract}`]) || (meta.env && femtoRuntimeEnv[meta.env]) || femtoRuntimeEnv.FEMTO_GATEWAY || `http://127.0.0.1:${meta.port}`
    url = new URL(origin.replace(/\/$/, '') + meta.route)
    targets.set(meta.name, url)
  }
  return url
}

const requestOptions = new WeakMap<URL, ReturnType<typeof urlToHttpOptions>>()

/** A callee's URL as `http.request` options, made once: given the URL, `node:http` makes them again on every call. */
function requestOptionsOf(url: URL): ReturnType<typeof urlToHttpOptions> {
  let options = requestOptions.get(url)
  if (!options)
    requestOptions.set(url, options = urlToHttpOptions(url))
  return options
}

/** The helper of stubs inside services: a femto function calling one hosted elsewhere. */
export function callService(meta: StubMeta, args: unknown[]): Promise<unknown> | AsyncIterable<unknown> {
  if (describing.on)
    return meta as never
  const options = withServiceHeaders(takeCallOptions())
  const url = targetOf(meta)
  // Streams and bytes too: a callee that has not rolled yet holds the call (skew.ts).
  if (meta.stream)
    return streamCall(url.href, meta, args, options, error => heldDuringRoll(error))
  const target = meta.service ?? meta.name
  // Bytes go as a multipart body, which fetch writes: the browser stub's path, with this call's
  // options and headers (its retries are not counted in the metrics: one attempt is recorded).
  const bytes = hasBytes(args)
  let attempts = bytes ? 1 : 0
  const call = bytes ? callFemtoUrl(url.href, meta, args, options, error => heldDuringRoll(error)) : unaryCall(url, meta, args, options, () => attempts++)
  return call.then(
    (value) => {
      metrics.call(target, 'ok', attempts - 1)
      return value
    },
    (error) => {
      metrics.call(target, (error as FemtoError)?.code ?? 'ERROR', Math.max(0, attempts - 1))
      throw error
    },
  )
}

/**
 * What a call from inside a service carries besides the arguments: the current call's request id
 * and trace (so that logs and spans of both services join up), and, with FEMTO_TOKEN (read per
 * call, so that it can rotate), the token and the mark of a call from inside. The caller's own
 * headers are kept, except that the token wins over its `Authorization`, which travels aside.
 */
function withServiceHeaders(options: CallOptions | undefined): CallOptions {
  const headers: Record<string, string> = {}
  // Reading the store here is what keeps the request context in the bundles of services that call others.
  const current = requestContexts.getStore()
  if (current) {
    headers['x-request-id'] = current.requestId
    if (current.trace)
      Object.assign(headers, outgoingTraceHeaders(current.trace))
  }
  if (options?.headers) {
    for (const [name, value] of Object.entries(options.headers))
      headers[name.toLowerCase()] = value
  }
  const token = process.env.FEMTO_TOKEN
  if (token) {
    if (headers.authorization !== undefined)
      headers[FORWARDED_AUTHORIZATION] = headers.authorization
    headers.authorization = `Bearer ${token}`
    headers[INTERNAL_HEADER] = '1'
  }
  return { ...options, headers }
}

async function unaryCall(url: URL, meta: StubMeta, args: unknown[], options: CallOptions | undefined, onAttempt: () => void): Promise<unknown> {
  let client: typeof http | typeof import('node:https') = http
  let agent: Agent
  if (url.protocol === 'https:') {
    client = await (https ??= import('node:https'))
    agent = httpsAgent ??= keptAliveAgent(client.Agent)
  }
  else {
    agent = httpAgent ??= keptAliveAgent(http.Agent)
  }
  // A callee that answered STALE_CLIENT has not rolled yet: the next try opens a new connection,
  // so that a load balancer in front of several (a Kubernetes Service) may pick one that has.
  let stale = false
  const freshConnection = (): Agent => url.protocol === 'https:'
    ? freshHttpsAgent ??= withConnectTimeout(new client.Agent({ keepAlive: false }))
    : freshAgent ??= withConnectTimeout(new http.Agent({ keepAlive: false }))
  const { body, type } = encodeArgs(args)
  const headers = stubHeaders(meta, options, type)
  headers['content-length'] = String(Buffer.byteLength(body))
  const signal = callSignal(options)
  const where = ` at ${url.href}`
  return callWithPolicy(meta, signal, reason => abortedError(meta, reason, options), deadlineMs => new Promise((resolve, reject) => {
    onAttempt()
    let timedOut = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const fail = (error: unknown): void => {
      clearTimeout(timer)
      reject(timedOut ? deadlineError(meta, deadlineMs!) : transportError(meta, error, options, signal, undefined, where))
    }
    const req = client.request({ ...requestOptionsOf(url), method: 'POST', agent: stale ? freshConnection() : agent, signal, headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', error => fail(error))
      res.on('end', () => {
        clearTimeout(timer)
        const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString()
        const status = res.statusCode ?? 0
        const rich = isRich(res.headers['content-type'])
        try {
          if (status >= 200 && status < 300)
            resolve(parseResult(meta, text, rich))
          else
            reject(heldDuringRoll(failedResponse(status, text, res.headers['x-request-id'] as string | undefined, rich, res.headers['retry-after'], res.headers[NOT_REACHED_HEADER] as string | undefined), () => stale = true))
        }
        catch (error) {
          reject(error)
        }
      })
    })
    // A plain timer, not AbortSignal.timeout: this runs on every call, and a timer is the cheapest deadline.
    if (deadlineMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true
        req.destroy()
      }, deadlineMs)
    }
    req.on('error', fail)
    req.end(body)
  }), holdUntilOf(requestContexts.getStore()))
}

// Time left for the calling function to turn a callee not reached into its own answer.
const HOLD_MARGIN_MS = 250

/** A call from inside another stops waiting for a callee not reached before the call it serves times out. */
function holdUntilOf(current: RequestContext | undefined): number | undefined {
  return current?.deadline === undefined ? undefined : current.deadline - HOLD_MARGIN_MS
}
