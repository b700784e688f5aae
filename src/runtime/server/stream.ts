import type { ErrorPayload } from '../shared/protocol'
import type { Call } from './call-record'
import { encodeRich, NDJSON_TYPE, RICH_STREAM_TYPE } from '../shared/codec'
import { now } from './clock'
import { resultJson } from './encode'
import { observe } from './observe'
import { failedOutcome } from './outcome'
import { logThrown } from './thrown'

/**
 * Writes each yielded value as soon as it exists: one JSON value per line for plain clients,
 * `[0, value]` lines in the rich encoding for stubs. A caller that goes away stops the generator.
 */
export async function streamResult(call: Call, iterable: AsyncIterable<unknown>): Promise<void> {
  const { fn, res, requestId, rich } = call
  const iterator = iterable[Symbol.asyncIterator]()
  let finished = false
  // Stops the generator (its `finally` runs) whenever the stream ends early, for any reason.
  const stop = (): void => {
    if (finished)
      return
    finished = true
    Promise.resolve(iterator.return?.(undefined)).catch(error => logThrown(`[femto] ${fn.name}: stopping the stream failed`, error))
  }
  res.once('close', () => {
    if (!res.writableFinished) {
      // Observed now: a generator parked at an await may never come back to the loop below.
      observe(call, 499, 'ABORTED')
      stop()
    }
  })
  let errorCode: string | undefined
  res.writeHead(200, ['content-type', rich ? RICH_STREAM_TYPE : NDJSON_TYPE, 'cache-control', 'no-cache', 'x-request-id', requestId, 'server-timing', `fn;dur=${(now() - call.start).toFixed(2)}`] as unknown as string[])
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
      const line = rich ? encodeRich([0, step.value]) : resultJson(step.value, fn.plainResult)
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
      const payload = (failedOutcome(call, error).value as { error: ErrorPayload }).error
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
    observe(call, res.destroyed && !res.writableFinished ? 499 : errorCode ? 500 : 200, errorCode)
    stop()
    res.end()
  }
}
