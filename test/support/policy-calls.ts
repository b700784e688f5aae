import type { FemtoError } from '../../src/runtime/shared/errors'
import type { StubMeta } from '../../src/runtime/shared/protocol'
import { callWithPolicy } from '../../src/runtime/client/resilience'
import { FemtoError as Failure } from '../../src/runtime/shared/errors'

const onAbort = (): FemtoError => new Failure(499, { code: 'ABORTED', message: 'aborted' })

/**
 * A call through the stub's policy (retries, breaker) whose attempts fail with `errors` in turn
 * (or with what `errors()` returns, every time), then succeed: the attempts made, and the outcome.
 */
export async function callFailingWith(m: StubMeta, errors: FemtoError[] | (() => FemtoError), signal?: AbortSignal): Promise<{ attempts: number, result?: unknown, error?: FemtoError }> {
  let attempts = 0
  try {
    const result = await callWithPolicy(m, signal, onAbort, async () => {
      const error = typeof errors === 'function' ? errors() : errors[attempts]
      attempts++
      if (error)
        throw error
      return 'ok'
    })
    return { attempts, result }
  }
  catch (error) {
    return { attempts, error: error as FemtoError }
  }
}
