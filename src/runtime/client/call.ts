import type { StubMeta } from '../shared/protocol'
import type { CallOptions } from './options'
import type { StaleClientHook } from './stale'
import { BYTES_HEADER, bytesOfResponse, formOfArgs, hasBytes } from '../shared/bytes'
import { decodeRich, encodeArgs, isRich, RICH_STREAM_TYPE, RICH_TYPE } from '../shared/codec'
import { describing } from '../shared/describe'
import { errorFromResponse, FemtoError } from '../shared/errors'
import { NOT_REACHED_HEADER } from '../shared/protocol'
import { isBrokenConnection, neverReached } from './not-reached'
import { takeCallOptions } from './options'
import { callWithPolicy, deadlineError, parseRetryAfter, withFacts } from './resilience'
import { noticeStale, setStaleClientHook } from './stale'

const config = { baseUrl: '' }

/**
 * Browser stubs' settings. `baseUrl`: the origin they call (default: the page's own origin,
 * through relative URLs), needed only when the services live on another origin, or when stubs
 * run outside a browser page without a service-side runtime. `onStaleClient`: what a page does
 * when a call answers `STALE_CLIENT` (default: reload once, see stale.ts; `null`: nothing).
 */
export function configureFemto(options: { baseUrl?: string, onStaleClient?: StaleClientHook | null }): void {
  if (options.baseUrl !== undefined)
    config.baseUrl = options.baseUrl.replace(/\/$/, '')
  if (options.onStaleClient !== undefined)
    setStaleClientHook(options.onStaleClient)
}

/** Services on another origin (`baseUrl`) get the page's cookies too, for their `auth` hooks. */
const credentials = (): RequestCredentials => (config.baseUrl ? 'include' : 'same-origin')

/** Headers of every stub call: the rich encoding both ways, and the contract it was built against. */
export function stubHeaders(meta: StubMeta, options: CallOptions | undefined, contentType: string): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': contentType,
    'accept': meta.stream ? RICH_STREAM_TYPE : RICH_TYPE,
    ...options?.headers,
  }
  if (meta.contract)
    headers['x-femto-contract'] = meta.contract
  return headers
}

/** The user's signal and the call's own deadline, as one signal. */
export function callSignal(options: CallOptions | undefined): AbortSignal | undefined {
  const own = options?.signal
  if (options?.timeoutMs === undefined)
    return own
  const deadline = AbortSignal.timeout(options.timeoutMs)
  return own ? AbortSignal.any([own, deadline]) : deadline
}

/** The caller's own signal ended the call: its abort, or its `withOptions` timeout. */
export function abortedError(meta: StubMeta, reason: unknown, options: CallOptions | undefined): FemtoError {
  if (options?.timeoutMs !== undefined && (reason as Error)?.name === 'TimeoutError')
    return new FemtoError(504, { code: 'TIMEOUT', message: `femto function '${meta.name}' did not answer within ${options.timeoutMs} ms` })
  return new FemtoError(499, { code: 'ABORTED', message: `the call to femto function '${meta.name}' was aborted` })
}

/**
 * What a failed request throws, as the caller should see it. `signal` is the caller's; when it
 * did not end the call but the attempt's own deadline did, that is a 504 the stub may retry.
 */
export function transportError(meta: StubMeta, error: unknown, options: CallOptions | undefined, signal: AbortSignal | undefined, deadline?: { signal: AbortSignal, ms: number }, where = ''): FemtoError {
  if (signal?.aborted)
    return abortedError(meta, signal.reason, options)
  if (deadline?.signal.aborted)
    return deadlineError(meta, deadline.ms)
  // fetch's own message is only "fetch failed": the reason is its cause.
  const cause = (error as Error)?.cause as Error | undefined
  const why = cause?.message ? `${(error as Error).message}: ${cause.message}` : (error as Error)?.message ?? String(error)
  return withFacts(
    new FemtoError(503, { code: 'UNAVAILABLE', message: `could not reach femto function '${meta.name}'${where}: ${why}` }),
    // No connection means no request was sent: safe to try again even for a function that must not run twice.
    { notReached: neverReached(error), brokenConnection: isBrokenConnection(error) },
  )
}

interface AttemptSignal {
  signal: AbortSignal | undefined
  deadline?: { signal: AbortSignal, ms: number }
  /** The answer has arrived (a stream: its headers): the deadline no longer applies. */
  done: () => void
}

/** The caller's signal with the attempt's deadline. */
function attemptSignal(signal: AbortSignal | undefined, deadlineMs: number | undefined): AttemptSignal {
  if (deadlineMs === undefined)
    return { signal, done: () => {} }
  const deadline = new AbortController()
  const timer = setTimeout(() => deadline.abort(), deadlineMs)
  return {
    signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
    deadline: { signal: deadline.signal, ms: deadlineMs },
    done: () => clearTimeout(timer),
  }
}

/** The helper every browser stub calls: one POST per call, rich encoding in and out. */
export function callFemto(meta: StubMeta, args: unknown[]): Promise<unknown> | AsyncIterable<unknown> {
  return callFemtoAt(config.baseUrl, meta, args)
}

/**
 * `callFemto` against a given origin instead of the configured one: the testing helper's
 * clients, each bound to the services it started. `headers` go on every call, under the
 * caller's own `withOptions` headers.
 */
export function callFemtoAt(baseUrl: string, meta: StubMeta, args: unknown[], headers?: Record<string, string>): Promise<unknown> | AsyncIterable<unknown> {
  if (describing.on)
    return { ...meta, route: baseUrl + meta.route } as never
  let options = takeCallOptions()
  if (headers)
    options = { ...options, headers: { ...headers, ...options?.headers } }
  const url = baseUrl + meta.route
  if (meta.stream)
    return streamCall(url, meta, args, options)
  return unaryCall(url, meta, args, options).catch((error: unknown) => {
    throw error instanceof FemtoError ? noticeStale(meta, error) : error
  })
}

/**
 * A call to a given URL with options already taken: a service's stub sending bytes (server/call.ts).
 * `onFailed`: what an error answer becomes before the retry decision (server/skew.ts).
 */
export function callFemtoUrl(url: string, meta: StubMeta, args: unknown[], options: CallOptions | undefined, onFailed?: (error: FemtoError) => FemtoError): Promise<unknown> {
  return unaryCall(url, meta, args, options, undefined, onFailed)
}

/** A form's fields as the named arguments of a call through the stub's path (client/form.ts `submitForm`). */
export function callFemtoWithForm(meta: StubMeta, form: FormData): Promise<unknown> {
  return unaryCall(config.baseUrl + meta.route, meta, [], takeCallOptions(), form)
}

async function unaryCall(url: string, meta: StubMeta, args: unknown[], options: CallOptions | undefined, form?: FormData, onFailed?: (error: FemtoError) => FemtoError): Promise<unknown> {
  const signal = callSignal(options)
  // Bytes go as a multipart body, never inflated into text (shared/bytes.ts).
  const bytes = form !== undefined || hasBytes(args)
  const { body, type } = form ? { body: form, type: '' } : bytes ? { body: await formOfArgs(args), type: '' } : encodeArgs(args)
  const headers = stubHeaders(meta, options, type)
  if (bytes)
    delete headers['content-type']
  return callWithPolicy(meta, signal, reason => abortedError(meta, reason, options), async (deadlineMs) => {
    const attempt = attemptSignal(signal, deadlineMs)
    let response: Response
    let text: string
    try {
      response = await fetch(url, { method: 'POST', headers, body, signal: attempt.signal, credentials: credentials() })
      const kind = response.ok ? response.headers.get(BYTES_HEADER) : null
      if (kind)
        return await bytesOfResponse(response, kind)
      text = await response.text()
    }
    catch (error) {
      throw transportError(meta, error, options, signal, attempt.deadline)
    }
    finally {
      attempt.done()
    }
    const rich = isRich(response.headers.get('content-type'))
    if (!response.ok) {
      const error = failedResponse(response.status, text, response.headers.get('x-request-id'), rich, response.headers.get('retry-after'), response.headers.get(NOT_REACHED_HEADER))
      throw onFailed ? onFailed(error) : error
    }
    return parseResult(meta, text, rich)
  })
}

/** An error answer, with its `Retry-After` kept for the retry decision. */
export function failedResponse(status: number, text: string, requestId: string | null | undefined, rich: boolean, retryAfter: string | null | undefined, notReached: string | null | undefined): FemtoError {
  return withFacts(errorFromResponse(status, text, requestId ?? undefined, rich), { retryAfterMs: parseRetryAfter(retryAfter), notReached: notReached === '1' })
}

/** A 200 whose body is not what was asked for (a proxy's page, a truncated answer) is a failed call too. */
export function parseResult(meta: StubMeta, text: string, rich: boolean): unknown {
  if (text === '')
    return undefined
  try {
    return rich ? decodeRich(text) : JSON.parse(text)
  }
  catch {
    throw new FemtoError(502, { code: 'BAD_RESPONSE', message: `femto function '${meta.name}' answered something that is not its wire format: ${text.slice(0, 100)}` })
  }
}

/**
 * An `async function*` femto function: an `AsyncIterable` whose values arrive as the service
 * yields them. Breaking out of the loop aborts the request, which stops the generator there.
 * `onFailed`: what an error answer to the opening becomes (a page's stale hook; a service's hold, server/skew.ts).
 */
export function streamCall(url: string, meta: StubMeta, args: unknown[], options: CallOptions | undefined, onFailed: (error: FemtoError) => FemtoError = error => noticeStale(meta, error)): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]() {
      const controller = new AbortController()
      const callerSignal = callSignal(options)
      const signal = callerSignal ? AbortSignal.any([controller.signal, callerSignal]) : controller.signal
      let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
      let buffered = ''
      const queue: unknown[] = []
      let finished = false
      const decoder = new TextDecoder()

      // The policy covers opening the stream (up to its first byte); once values flow, a failure ends it.
      const open = (): Promise<void> => callWithPolicy(meta, signal, reason => abortedError(meta, reason, options), async (deadlineMs) => {
        const attempt = attemptSignal(signal, deadlineMs)
        let response: Response
        try {
          const { body, type } = encodeArgs(args)
          response = await fetch(url, { method: 'POST', headers: stubHeaders(meta, options, type), body, signal: attempt.signal, credentials: credentials() })
        }
        catch (error) {
          throw transportError(meta, error, options, signal, attempt.deadline)
        }
        finally {
          attempt.done()
        }
        if (!response.ok || !response.body) {
          const text = await response.text()
          throw onFailed(failedResponse(response.status, text, response.headers.get('x-request-id'), isRich(response.headers.get('content-type')), response.headers.get('retry-after'), response.headers.get(NOT_REACHED_HEADER)))
        }
        reader = response.body.getReader()
      })

      const stop = async (): Promise<void> => {
        finished = true
        controller.abort()
        await reader?.cancel().catch(() => {})
      }

      return {
        async next(): Promise<IteratorResult<unknown>> {
          while (queue.length === 0 && !finished) {
            if (!reader)
              await open()
            let chunk: ReadableStreamReadResult<Uint8Array>
            try {
              chunk = await reader!.read()
            }
            catch (error) {
              finished = true
              throw transportError(meta, error, options, signal)
            }
            if (chunk.done) {
              finished = true
              break
            }
            buffered += decoder.decode(chunk.value, { stream: true })
            let newline = buffered.indexOf('\n')
            while (newline >= 0) {
              const line = buffered.slice(0, newline)
              buffered = buffered.slice(newline + 1)
              if (line.length > 0) {
                const [kind, payload] = decodeRich(line) as [0 | 1, any]
                if (kind === 1) {
                  queue.push(new FemtoError(500, payload))
                  finished = true
                  break
                }
                queue.push({ value: payload })
              }
              newline = buffered.indexOf('\n')
            }
          }
          const item = queue.shift()
          if (item === undefined)
            return { done: true, value: undefined }
          if (item instanceof FemtoError)
            throw item
          return { done: false, value: (item as { value: unknown }).value }
        },
        async return(): Promise<IteratorResult<unknown>> {
          await stop()
          return { done: true, value: undefined }
        },
      }
    },
  }
}
