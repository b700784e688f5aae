import { describe, expect, it } from 'vitest'
import { formOutcome } from '../../src/runtime/client/form'

describe('formOutcome', () => {
  it('reads what the service\'s 303 wrote, and does not throw on a query someone else wrote', () => {
    expect(formOutcome('?femto=signUp&femto-status=ok&femto-result=%7B%22a%22%3A1%7D')).toEqual({ name: 'signUp', ok: true, result: { a: 1 } })
    expect(formOutcome('?femto=signUp&femto-status=error&femto-error=NAME_TAKEN&femto-message=taken')).toEqual({ name: 'signUp', ok: false, error: { code: 'NAME_TAKEN', message: 'taken' } })
    // A hand-made link: the result is left out rather than the page's script failing.
    expect(formOutcome('?femto=signUp&femto-status=ok&femto-result=%7Bbad')).toEqual({ name: 'signUp', ok: true })
    expect(formOutcome('?other=1')).toBeUndefined()
  })
})
