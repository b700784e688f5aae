import type { Call } from './call-record'
import { errorOutcome } from './outcome'
import { answer } from './respond'

/**
 * The function's `timeoutMs` over one stage of a call (its auth hook, its validator, the function
 * itself): past it the caller gets 504 TIMEOUT, and the call's signal aborts.
 */
export function startTimeout(call: Call, what: string): void {
  const { timeoutMs } = call.fn
  if (timeoutMs == null)
    return
  call.timer = setTimeout(() => {
    const message = `${what} ran past its timeout of ${timeoutMs} ms`
    answer(call, errorOutcome('TIMEOUT', message))
    call.context?.abort(new Error(message))
  }, timeoutMs)
}

export function stopTimeout(call: Call): void {
  clearTimeout(call.timer)
}
