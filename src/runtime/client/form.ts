import { metaOf } from '../shared/describe'
import { callFemtoWithForm } from './call'

/** The attributes that make a `<form>` call a femto function, with or without the page's script. */
export interface FormAttributes {
  action: string
  method: 'post'
  enctype: 'multipart/form-data'
}

/**
 * A form's `action`, `method` and `enctype` from the imported function: without JavaScript the
 * browser posts the form there and the service answers 303 back to the page (docs/guide/files-and-forms.md);
 * with it, `submitForm` sends the same fields through the stub.
 *
 *   <form {...formAttributes(signUp)}> <input name="name"> … </form>
 *
 * `redirect`: where the browser lands after a plain post (a path of this origin), instead of the page the form is on.
 */
export function formAttributes(fn: (...args: any[]) => unknown, options: { redirect?: string } = {}): FormAttributes {
  const meta = metaOf(fn)
  const action = options.redirect ? `${meta.route}?redirect=${encodeURIComponent(options.redirect)}` : meta.route
  return { action, method: 'post', enctype: 'multipart/form-data' }
}

/**
 * Sends a form's fields through the stub as the function's named arguments, converted per its
 * parameter types as in a plain post, and resolves to its result (or rejects with its FemtoError).
 */
export function submitForm<R>(fn: (...args: any[]) => Promise<R> | R, form: HTMLFormElement | FormData, submitter?: HTMLElement | null): Promise<Awaited<R>> {
  const meta = metaOf(fn)
  const data = form instanceof FormData ? form : new FormData(form, submitter as HTMLElement | undefined)
  return callFemtoWithForm(meta, data) as Promise<Awaited<R>>
}

/**
 * Takes over a form once the script runs: submitting it calls the function through the stub
 * (no page load), and `onResult` / `onError` get what a plain post would have put on the page.
 * Returns a function that gives the form back to the browser.
 */
export function enhanceForm<R>(form: HTMLFormElement, fn: (...args: any[]) => Promise<R> | R, handlers: { onResult?: (value: Awaited<R>) => void, onError?: (error: unknown) => void } = {}): () => void {
  const onSubmit = (event: SubmitEvent): void => {
    event.preventDefault()
    submitForm(fn, form, event.submitter).then(value => handlers.onResult?.(value), error => handlers.onError?.(error))
  }
  form.addEventListener('submit', onSubmit)
  return () => form.removeEventListener('submit', onSubmit)
}

/** What a plain (script-less) form post left in the page's address after the service's 303, if any. */
export interface FormOutcome {
  /** The function the form called. */
  name: string
  ok: boolean
  /** The result as JSON, when it was small enough to travel in the address (≤ 2000 characters). */
  result?: unknown
  /** The error's code and message. */
  error?: { code: string, message: string }
}

/** Reads `?femto=…` from an address (default: the page's), as the service's 303 wrote it. */
export function formOutcome(search: string = globalThis.location?.search ?? ''): FormOutcome | undefined {
  const params = new URLSearchParams(search)
  const name = params.get('femto')
  if (!name)
    return undefined
  const ok = params.get('femto-status') === 'ok'
  const result = resultOf(params.get('femto-result'))
  return {
    name,
    ok,
    ...(result !== undefined ? { result: result.value } : {}),
    ...(ok ? {} : { error: { code: params.get('femto-error') ?? 'INTERNAL_ERROR', message: params.get('femto-message') ?? '' } }),
  }
}

/** The result's JSON, if it parses: anyone can link to a page with a query, and reading it must not throw. */
function resultOf(text: string | null): { value: unknown } | undefined {
  if (text === null)
    return undefined
  try {
    return { value: JSON.parse(text) as unknown }
  }
  catch {
    return undefined
  }
}
