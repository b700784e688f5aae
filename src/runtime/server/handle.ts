import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorPayload } from '../shared/protocol'
import type { Guard } from './guard'
import type { Outcome, ServedFunction, StandardSchema } from './types'
import { decodeRich, encodeRich, isPlainPrimitive, isRich, NDJSON_TYPE, RICH_STREAM_TYPE, RICH_TYPE } from '../shared/codec'
import { JSON_TYPE } from '../shared/protocol'
import { argsFromBody, MAX_ARGUMENTS } from './args'
import { readBody } from './body'
import { authorize, checkOrigin, checkToken, settleHeaders } from './guard'
import { observe, setTrace, traceOf } from './observe'
import { errorOutcome, thrownOutcome, WireError } from './outcome'
import { incomingTrace } from './trace'

const VALID_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/

// Request ids only need to be unique, not secret: a random per-process prefix and a counter
// cost nothing per request, and spare every service the load of `node:crypto` at start-up.
const ID_PREFIX = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`
let idCounter = 0

export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id']
  return typeof sent === 'string' && VALID_REQUEST_ID.test(sent) ? sent : `${ID_PREFIX}-${(++idCounter).toString(36)}`
}

const JSON_CONTENT_TYPE = /^application\/json\s*(?:;|$)/i
// Clients send the same content-type on every call: remember the last one that passed.
let lastJsonType = 'application/json'

/** The JSON value of a body; an empty body is no arguments at all. */
export function decodeJsonBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length === 0)
    return []
  if (contentType !== lastJsonType) {
    if (!contentType || !JSON_CONTENT_TYPE.test(contentType)) {
      if (raw.trim().length === 0)
        return []
      throw new WireError('UNSUPPORTED_MEDIA_TYPE', `send the arguments as content-type: application/json (got ${contentType ? `'${contentType}'` : 'none'})`)
    }
    lastJsonType = contentType
  }
  try {
    return JSON.parse(raw)
  }
  catch (error) {
    if (raw.trim().length === 0)
      return []
    throw new WireError('INVALID_JSON', `the body is not valid JSON: ${(error as Error).message}`)
  }
}

/** The arguments' value from a body in either encoding. */
function decodeBody(raw: string, contentType: string | undefined): unknown {
  if (raw.length > 0 && isRich(contentType)) {
    try {
      return decodeRich(raw)
    }
    catch (error) {
      const reason = error instanceof RangeError ? 'it is nested too deeply' : (error as Error).message
      throw new WireError('INVALID_ENCODING', `the body is not valid ${RICH_TYPE}: ${reason}`)
    }
  }
  return decodeJsonBody(raw, contentType)
}

/**
 * The whole request path of one call, shared by the standalone server and the Express router:
 * read, decode, check arity, call, encode, answer. `parsed` is a body some earlier middleware
 * already decoded (Express's `express.json()`). Callbacks rather than async functions: each
 * await is a turn of the microtask queue, and this path is what the benchmarks measure.
 */
export function handleCall(fn: ServedFunction, req: IncomingMessage, res: ServerResponse, guard: Guard, parsed?: { body: unknown }): void {
  const start = performance.now()
  const requestId = requestIdOf(req)
  const rich = isRich(req.headers.accept)
  setTrace(res, incomingTrace(req.headers.traceparent, req.headers.tracestate))
  fn.metrics?.start()
  const refused = checkOrigin(guard, req, res) ?? checkToken(guard, req)
  if (refused) {
    req.resume()
    return answer(fn, res, refused, requestId, start, rich)
  }
  const contract = req.headers['x-femto-contract']
  if (contract !== undefined && fn.contract && contract !== fn.contract) {
    req.resume()
    return answer(fn, res, errorOutcome('STALE_CLIENT', `this caller was built against another version of ${fn.name} (contract ${contract}, the service has ${fn.contract}); reload the page or redeploy the caller`), requestId, start, rich)
  }
  const outside = settleHeaders(guard, req)
  if (fn.auth && outside) {
    // The hook runs within the function's timeout: a session store that never answers must not hold the call.
    const timer = timeoutOf(fn, res, `the auth hook of ${fn.name}`, requestId, start, rich)
    authorize(fn.auth, fn.name, req).then(
      (denied) => {
        clearTimeout(timer)
        if (res.headersSent)
          return req.resume()
        if (!denied)
          return admit(fn, req, res, requestId, start, rich, parsed)
        req.resume()
        answer(fn, res, denied, requestId, start, rich)
      },
      (error) => {
        clearTimeout(timer)
        req.resume()
        // A hook may say "not signed in" (401) apart from "not allowed" (403) by throwing with that code.
        const code = (error as { code?: unknown })?.code
        const outcome = code === 'UNAUTHORIZED' || code === 'FORBIDDEN'
          ? errorOutcome(code, (error as Error).message || `the auth hook of ${fn.name} refused this call`)
          : failed(error, requestId, fn)
        answer(fn, res, outcome, requestId, start, rich)
      },
    )
    return
  }
  admit(fn, req, res, requestId, start, rich, parsed)
}

/** Past the checks of who is calling: the concurrency limit, then the body. */
function admit(fn: ServedFunction, req: IncomingMessage, res: ServerResponse, requestId: string, start: number, rich: boolean, parsed: { body: unknown } | undefined): void {
  if (fn.concurrency != null) {
    const active = fn.active ?? 0
    if (active >= fn.concurrency) {
      req.resume()
      return answer(fn, res, errorOutcome('OVERLOADED', `${fn.name} is already running ${active} call(s), its concurrency limit; retry in a moment`, { 'retry-after': '1' }), requestId, start, rich)
    }
    fn.active = active + 1
    // 'close' comes exactly once per response, whether it finished or its caller went away.
    res.once('close', () => {
      fn.active!--
    })
  }
  if (parsed)
    return invoke(fn, parsed.body, req, res, requestId, start, rich)
  readBody(req, res, fn.bodyLimit, (error, raw) => {
    if (error)
      return answer(fn, res, errorOutcome(error.code, error.message), requestId, start, rich)
    let body: unknown
    try {
      body = decodeBody(raw, req.headers['content-type'])
    }
    catch (failure) {
      return answer(fn, res, failed(failure, requestId), requestId, start, rich)
    }
    invoke(fn, body, req, res, requestId, start, rich)
  })
}

const CONTEXT = Symbol.for('unplugin-femto.context')

function invoke(fn: ServedFunction, body: unknown, req: IncomingMessage, res: ServerResponse, requestId: string, start: number, rich: boolean): void {
  let args: unknown[]
  try {
    args = argsFromBody(fn, body)
    if (fn.validate) {
      const problem = fn.validate(args)
      if (problem !== undefined)
        throw new WireError('INVALID_ARGUMENT', problem)
    }
  }
  catch (error) {
    return answer(fn, res, failed(error, requestId, fn), requestId, start, rich)
  }
  if (fn.standard) {
    // The function's timeout covers its validator too: one that never settles must not hold the call.
    const timer = timeoutOf(fn, res, `the argument validator of ${fn.name}`, requestId, start, rich)
    standardArgs(fn, fn.standard, args).then(
      (checked) => {
        clearTimeout(timer)
        if (!res.headersSent)
          run(fn, checked, req, res, requestId, start, rich)
      },
      (error) => {
        clearTimeout(timer)
        if (error instanceof WireError)
          return answer(fn, res, failed(error, requestId, fn), requestId, start, rich)
        console.error(`[femto] ${fn.name}: its argument validator failed (request ${requestId})`, error)
        answer(fn, res, errorOutcome('INTERNAL_ERROR', `the argument validator of ${fn.name} failed; the service log has the details (request ${requestId})`), requestId, start, rich)
      },
    )
    return
  }
  run(fn, args, req, res, requestId, start, rich)
}

/**
 * A Standard Schema validates the named-arguments object (what a zod or valibot `object` schema
 * describes); its output, transformed as the schema says, becomes the arguments.
 */
async function standardArgs(fn: ServedFunction, schema: StandardSchema, args: unknown[]): Promise<unknown[]> {
  const named: Record<string, unknown> = {}
  fn.params.forEach((p, i) => {
    const value = p.rest ? args.slice(i) : args[i]
    if (value !== undefined)
      named[p.name] = value
  })
  const result = await schema['~standard'].validate(named)
  if (result.issues) {
    const [issue] = result.issues
    const path = (issue?.path ?? []).map(step => (typeof step === 'object' ? step.key : step))
    const where = path.map(key => (typeof key === 'number' ? `[${key}]` : /^[A-Z_$][\w$]*$/i.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`)).join('')
    throw new WireError('INVALID_ARGUMENT', `$${where}: ${issue?.message ?? 'invalid'}`)
  }
  if (result.value === null || typeof result.value !== 'object')
    throw new TypeError(`the validator's output is not an object of named arguments`)
  const value = result.value as Record<string, unknown>
  const checked: unknown[] = []
  fn.params.forEach((p) => {
    if (!p.rest)
      return void checked.push(value[p.name])
    const rest = (value[p.name] as unknown[] | undefined) ?? []
    for (let i = 0; i < rest.length && checked.length < MAX_ARGUMENTS; i++)
      checked.push(rest[i])
  })
  while (checked.length > args.length && checked.at(-1) === undefined)
    checked.pop()
  return checked
}

function run(fn: ServedFunction, args: unknown[], req: IncomingMessage, res: ServerResponse, requestId: string, start: number, rich: boolean): void {
  let result: unknown
  let context: CallContext | undefined
  try {
    // A generator's body runs on each `next()`, so the stream is driven inside the same context.
    const call = (): unknown => {
      const value = fn.fn(...args)
      if (fn.stream)
        void streamResult(fn, value as AsyncIterable<unknown>, res, requestId, start, rich)
      return value
    }
    // The request context exists only in services that import `unplugin-femto/context`.
    const store = (globalThis as any)[CONTEXT] as RequestContextStore | undefined
    if (store)
      context = contextOf(fn, req, res, requestId)
    result = store ? store.run(context, call) : call()
  }
  catch (error) {
    return answer(fn, res, failed(error, requestId, fn), requestId, start, rich)
  }
  if (fn.stream)
    return
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    // Past its timeout the caller gets 504 and the function's request signal aborts; whatever
    // it answers later is dropped (`send` answers once).
    const timer = timeoutOf(fn, res, fn.name, requestId, start, rich, context)
    ;(result as PromiseLike<unknown>).then(
      (value) => {
        clearTimeout(timer)
        answer(fn, res, { status: 200, value }, requestId, start, rich)
      },
      (error) => {
        clearTimeout(timer)
        answer(fn, res, failed(error, requestId, fn), requestId, start, rich)
      },
    )
  }
  else {
    answer(fn, res, { status: 200, value: result }, requestId, start, rich)
  }
}

/**
 * The function's `timeoutMs` over one stage of a call (its auth hook, its validator, the function
 * itself): past it the caller gets 504 TIMEOUT, and the call's signal aborts.
 */
function timeoutOf(fn: ServedFunction, res: ServerResponse, what: string, requestId: string, start: number, rich: boolean, context?: CallContext): ReturnType<typeof setTimeout> | undefined {
  if (fn.timeoutMs == null)
    return undefined
  return setTimeout(() => {
    const message = `${what} ran past its timeout of ${fn.timeoutMs} ms`
    answer(fn, res, errorOutcome('TIMEOUT', message), requestId, start, rich)
    context?.abort(new Error(message))
  }, fn.timeoutMs)
}

/** Every answer to a call goes through here: observed once (metrics, log line, span), then sent. */
function answer(fn: ServedFunction, res: ServerResponse, outcome: Outcome, requestId: string, start: number, rich: boolean): void {
  const code = outcome.status >= 300 ? (outcome.value as { error?: { code?: string } } | undefined)?.error?.code : undefined
  observe(fn.name, fn.metrics, res, res.destroyed ? 499 : outcome.status, res.destroyed ? 'ABORTED' : code, requestId, start)
  send(res, outcome, requestId, start, rich)
}

interface RequestContextStore { run: <T>(context: unknown, fn: () => T) => T }

interface CallContext {
  function: string
  requestId: string
  headers: IncomingMessage['headers']
  readonly signal: AbortSignal
  trace: ReturnType<typeof traceOf>
  abort: (reason: Error) => void
}

/**
 * The request context of one call. Its AbortController is made only when the function reads
 * `signal`: most never do, and one per call is a measurable share of a small call's cost.
 */
function contextOf(fn: ServedFunction, req: IncomingMessage, res: ServerResponse, requestId: string): CallContext {
  let controller: AbortController | undefined
  let aborted: Error | undefined
  const abort = (reason: Error): void => {
    aborted ??= reason
    controller?.abort(reason)
  }
  res.once('close', () => {
    if (!res.writableFinished)
      abort(new Error(`the caller of ${fn.name} went away`))
  })
  return {
    function: fn.name,
    requestId,
    headers: req.headers,
    get signal() {
      if (!controller) {
        controller = new AbortController()
        if (aborted)
          controller.abort(aborted)
      }
      return controller.signal
    },
    trace: traceOf(res),
    abort,
  }
}

/**
 * Writes each yielded value as soon as it exists: one JSON value per line for plain clients,
 * `[0, value]` lines in the rich encoding for stubs. A caller that goes away stops the generator.
 */
async function streamResult(fn: ServedFunction, iterable: AsyncIterable<unknown>, res: ServerResponse, requestId: string, start: number, rich: boolean): Promise<void> {
  const iterator = iterable[Symbol.asyncIterator]()
  let finished = false
  // Stops the generator (its `finally` runs) whenever the stream ends early, for any reason.
  const stop = (): void => {
    if (finished)
      return
    finished = true
    Promise.resolve(iterator.return?.(undefined)).catch(error => console.error(`[femto] ${fn.name}: stopping the stream failed`, error))
  }
  res.once('close', () => {
    if (!res.writableFinished) {
      // Observed now: a generator parked at an await may never come back to the loop below.
      observe(fn.name, fn.metrics, res, 499, 'ABORTED', requestId, start)
      stop()
    }
  })
  let errorCode: string | undefined
  res.writeHead(200, ['content-type', rich ? RICH_STREAM_TYPE : NDJSON_TYPE, 'cache-control', 'no-cache', 'x-request-id', requestId, 'server-timing', `fn;dur=${(performance.now() - start).toFixed(2)}`] as unknown as string[])
  res.flushHeaders()
  try {
    while (!finished) {
      const step = await iterator.next()
      if (step.done) {
        finished = true
        break
      }
      if (res.destroyed)
        break
      const line = rich ? encodeRich([0, step.value]) : toJson(step.value)
      if (!res.write(`${line}\n`)) {
        await new Promise((resolve) => {
          res.once('drain', resolve)
          res.once('close', resolve)
        })
      }
    }
  }
  catch (error) {
    errorCode = 'STREAM_ERROR'
    if (!res.destroyed) {
      const payload = (failed(error, requestId, fn).value as { error: ErrorPayload }).error
      errorCode = payload.code
      try {
        res.write(`${rich ? encodeRich([1, payload]) : JSON.stringify({ error: payload })}\n`)
      }
      catch {
        res.write(`${rich ? encodeRich([1, { code: payload.code, message: payload.message, requestId }]) : JSON.stringify({ error: { code: payload.code, message: payload.message, requestId } })}\n`)
      }
    }
  }
  finally {
    // A stream's status is sent first; how it ended is what the log line and metrics record.
    observe(fn.name, fn.metrics, res, res.destroyed && !res.writableFinished ? 499 : errorCode ? 500 : 200, errorCode, requestId, start)
    stop()
    res.end()
  }
}

function failed(error: unknown, requestId: string, fn?: ServedFunction): Outcome {
  if (error instanceof WireError)
    return errorOutcome(error.code, error.message)
  if (fn)
    console.error(`[femto] ${fn.name} threw (request ${requestId}):`, error)
  return thrownOutcome(error, requestId)
}

/** JSON as `JSON.stringify` makes it; a BigInt, which it refuses, becomes its decimal string. */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null'
  }
  catch (error) {
    if (!(error instanceof TypeError) || !String(error.message).includes('BigInt'))
      throw error
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'
  }
}

export function send(res: ServerResponse, outcome: Outcome, requestId: string, start?: number, rich = false): void {
  if (res.headersSent || res.destroyed)
    return
  let body: string
  // A plain primitive is exact in JSON, so even a caller that asked for the rich encoding gets JSON.
  rich &&= !isPlainPrimitive(outcome.value)
  try {
    body = rich ? encodeRich(outcome.value) : toJson(outcome.value)
  }
  catch (error) {
    outcome = errorOutcome('INTERNAL_ERROR', `the answer cannot be encoded: ${(error as Error).message}`)
    body = rich ? encodeRich(outcome.value) : toJson(outcome.value)
  }
  // A flat array: Node takes it as is, without walking an object's keys.
  const headers: (string | number)[] = [
    'content-type',
    rich ? RICH_TYPE : JSON_TYPE,
    'content-length',
    Buffer.byteLength(body),
    'x-request-id',
    requestId,
  ]
  if (start !== undefined)
    headers.push('server-timing', `fn;dur=${(performance.now() - start).toFixed(2)}`)
  if (outcome.headers) {
    for (const key in outcome.headers)
      headers.push(key, outcome.headers[key]!)
  }
  res.writeHead(outcome.status, headers as unknown as string[])
  res.end(body)
}

/** A non-call route's answer (`/healthz`, 404, 405), with the same headers as any other. */
export function sendError(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  send(res, outcome, requestIdOf(req), undefined, isRich(req.headers.accept))
}

export { errorOutcome }
