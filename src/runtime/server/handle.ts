import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Call } from './call-record'
import type { FunctionEntry } from './function-table'
import type { AuthHook } from './guard'
import type { Outcome, ServedFunction } from './types'
import { argsFromBody } from './args'
import { closeAfterAnswer, readBody } from './body'
import { contextOf } from './call-context'
import { createCall } from './call-record'
import { REQUEST_CONTEXT_KEY as CONTEXT } from './context-key'
import { decodeBody } from './decode'
import { isFormType, readForm } from './form'
import { authorize, checkInternal, checkOrigin, checkToken, settleHeaders } from './guard'
import { errorOutcome, failedOutcome, WireError } from './outcome'
import { answer } from './respond'
import { forwardToPrevious } from './skew-forward'
import { standardArgs } from './standard-schema'
import { streamResult } from './stream'
import { isInstance, logThrown, stringField } from './thrown'
import { startTimeout, stopTimeout } from './timeout'

/**
 * The request path of one call, the same in a service, the Express router and the dev server.
 * One call record goes through the stages in this order:
 *
 *   handleCall      the record; who is calling (origin, token, the stub's contract)
 *   authorizeCall   the function's `auth` hook, for a call from outside
 *   admit           the function's concurrency limit
 *   readArguments   the body, decoded in the encoding it was sent in
 *   checkArguments  arity, then the generated checks or the Standard Schema
 *   run             the function, in its request context; its result or its stream
 *   answer          observed once (metrics, log line, span), then sent
 *
 * Callbacks rather than async functions: each await is a turn of the microtask queue, and this
 * path is what the benchmarks measure; a `then` only where a hook, validator or function gives a
 * promise. `parsed` is a body some earlier middleware already decoded (Express's `express.json()`).
 */
export function handleCall(entry: FunctionEntry, req: IncomingMessage, res: ServerResponse, parsed?: { body: unknown }): void {
  // Built against another contract: its previous version, if this service knows where it runs,
  // takes the call, and counts it (skew-forward.ts). One comparison for every other call.
  const contract = req.headers['x-femto-contract']
  if (contract !== undefined && contract !== entry.fn.contract && entry.fn.contract && !parsed && typeof contract === 'string' && forwardToPrevious(entry, req, res, contract))
    return
  const call = createCall(entry, req, res, parsed)
  entry.metrics.start()
  const refused = checkCaller(call)
  if (refused)
    return refuse(call, refused)
  const outside = settleHeaders(entry.guard, req)
  if (call.fn.auth && outside)
    return authorizeCall(call, call.fn.auth)
  admit(call)
}

/** Who is calling, before anything of theirs is read: its origin, its token, the contract its stub was built against. */
function checkCaller(call: Call): Outcome | undefined {
  const { fn, req, entry } = call
  const refused = checkOrigin(entry.guard, req, call.res) ?? checkToken(entry.guard, req) ?? (fn.internal ? checkInternal(entry.guard, req, fn.name) : undefined)
  if (refused)
    return refused
  const contract = req.headers['x-femto-contract']
  if (contract !== undefined && fn.contract && contract !== fn.contract)
    return errorOutcome('STALE_CLIENT', `this caller was built against another version of ${fn.name} (contract ${contract}, the service has ${fn.contract}); reload the page or redeploy the caller`)
  return undefined
}

/** Answered before its body is read: the body is drained, so that the connection can serve the next call. */
function refuse(call: Call, outcome: Outcome): void {
  call.req.resume()
  answer(call, outcome)
}

function authorizeCall(call: Call, hook: AuthHook): void {
  const { fn, req, res } = call
  // The hook runs within the function's timeout: a session store that never answers must not hold the call.
  startTimeout(call, `the auth hook of ${fn.name}`)
  authorize(hook, fn.name, req).then(
    (denied) => {
      stopTimeout(call)
      if (res.headersSent)
        return req.resume()
      if (!denied)
        return admit(call)
      refuse(call, denied)
    },
    (error) => {
      stopTimeout(call)
      // A hook may say "not signed in" (401) apart from "not allowed" (403) by throwing with that code.
      const code = stringField(error, 'code')
      refuse(call, code === 'UNAUTHORIZED' || code === 'FORBIDDEN'
        ? errorOutcome(code, stringField(error, 'message') || `the auth hook of ${fn.name} refused this call`)
        : failedOutcome(call, error))
    },
  )
}

function admit(call: Call): void {
  const { entry, fn, res } = call
  if (fn.concurrency != null) {
    const active = entry.active
    if (active >= fn.concurrency)
      return refuse(call, errorOutcome('OVERLOADED', `${fn.name} is already running ${active} call(s), its concurrency limit; retry in a moment`, { 'retry-after': '1' }))
    entry.active = active + 1
    // 'close' comes exactly once per response, whether it finished or its caller went away.
    res.once('close', () => {
      entry.active--
    })
  }
  if (call.parsed)
    return checkArguments(call, call.parsed.body)
  readArguments(call)
}

function readArguments(call: Call): void {
  const { req } = call
  if (isFormType(req.headers['content-type']))
    return readFormArguments(call)
  readBody(req, call.res, call.fn.bodyLimit, (error, raw) => {
    if (error)
      return refuseBody(call, error)
    let body: unknown
    try {
      body = decodeBody(raw, req.headers['content-type'])
    }
    catch (failure) {
      return answer(call, failedOutcome(call, failure))
    }
    checkArguments(call, body)
  })
}

/** A body that cannot be read: one over the limit is answered without reading the rest of it. */
function refuseBody(call: Call, error: WireError): void {
  if (error.code === 'PAYLOAD_TOO_LARGE')
    closeAfterAnswer(call.req, call.res)
  answer(call, errorOutcome(error.code, error.message))
}

/** A form (multipart or urlencoded): its fields, converted per parameter, as named arguments (form.ts). */
function readFormArguments(call: Call): void {
  readForm(call.fn, call.req, call.res, (error, form) => {
    if (error) {
      if (!isInstance(error, WireError))
        return answer(call, failedOutcome(call, error))
      return refuseBody(call, error)
    }
    checkArguments(call, form!.named)
  })
}

function checkArguments(call: Call, body: unknown): void {
  const { fn, res } = call
  let args: unknown[]
  try {
    args = argsFromBody(fn, body)
    if (fn.fileLimit !== undefined)
      checkBytesLimit(fn, args, fn.fileLimit)
    if (fn.validate) {
      const problem = fn.validate(args)
      if (problem !== undefined)
        throw new WireError('INVALID_ARGUMENT', problem)
    }
  }
  catch (error) {
    return answer(call, failedOutcome(call, error))
  }
  if (!fn.standard)
    return run(call, args)
  // The function's timeout covers its validator too: one that never settles must not hold the call.
  startTimeout(call, `the argument validator of ${fn.name}`)
  standardArgs(fn, fn.standard, args).then(
    (checked) => {
      stopTimeout(call)
      if (!res.headersSent)
        run(call, checked)
    },
    (error) => {
      stopTimeout(call)
      if (isInstance(error, WireError))
        return answer(call, errorOutcome(error.code, error.message))
      logThrown(`[femto] ${fn.name}: its argument validator failed (request ${call.requestId})`, error)
      answer(call, errorOutcome('INTERNAL_ERROR', `the argument validator of ${fn.name} failed; the service log has the details (request ${call.requestId})`))
    },
  )
}

/**
 * A stub sends a `Uint8Array` argument inside its encoded arguments, not as a multipart part:
 * held to `fileLimit` here, as a part is while it arrives.
 */
function checkBytesLimit(fn: ServedFunction, args: unknown[], limit: number): void {
  args.forEach((arg, i) => {
    for (const bytes of Array.isArray(arg) ? arg : [arg]) {
      if (bytes instanceof Uint8Array && bytes.length > limit)
        throw new WireError('PAYLOAD_TOO_LARGE', `argument '${fn.params[i]?.name ?? i}' holds ${bytes.length} bytes, over the limit of ${limit} bytes per file`)
    }
  })
}

interface RequestContextStore { run: <T>(context: unknown, fn: () => T) => T }

function run(call: Call, args: unknown[]): void {
  const { fn } = call
  let result: unknown
  try {
    // A generator's body runs on each `next()`, so the stream is driven inside the same context.
    const invoke = (): unknown => {
      const value = fn.fn(...args)
      if (fn.stream)
        void streamResult(call, value as AsyncIterable<unknown>)
      return value
    }
    // The request context exists only in services that import `unplugin-femto/context`.
    const store = (globalThis as any)[CONTEXT] as RequestContextStore | undefined
    if (store)
      call.context = contextOf(call)
    result = store ? store.run(call.context, invoke) : invoke()
  }
  catch (error) {
    return answer(call, failedOutcome(call, error))
  }
  if (fn.stream)
    return
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    // Past its timeout the caller gets 504 and the function's request signal aborts; whatever
    // it answers later is dropped (`send` answers once).
    startTimeout(call, fn.name)
    ;(result as PromiseLike<unknown>).then(
      (value) => {
        stopTimeout(call)
        answer(call, { status: 200, value })
      },
      (error) => {
        stopTimeout(call)
        answer(call, failedOutcome(call, error))
      },
    )
  }
  else {
    answer(call, { status: 200, value: result })
  }
}
