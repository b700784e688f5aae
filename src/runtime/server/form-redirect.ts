import type { IncomingMessage } from 'node:http'
import type { Outcome } from './types'
import { isFormType } from './form'
import { addressedHost } from './guard'

/**
 * A form a browser posted without the page's script: it navigates, so it must land on a page,
 * not on JSON. Browsers say so with `Sec-Fetch-Mode: navigate`; one too old to send it is
 * recognised by a form body with `Accept: text/html`. The stubs and `submitForm` fetch (`cors`
 * or `same-origin` mode), and curl sends neither: they get the answer itself.
 */
export function isPlainFormPost(req: IncomingMessage): boolean {
  const mode = req.headers['sec-fetch-mode']
  if (mode !== undefined)
    return mode === 'navigate' && isFormType(req.headers['content-type'])
  return isFormType(req.headers['content-type']) && (req.headers.accept ?? '').includes('text/html')
}

/** Results up to this long (as JSON) travel in the address; a larger one is left out (`femto-status=ok` only). */
const MAX_RESULT_IN_URL = 2000

/**
 * The 303 that takes a plain form's browser back to a page, with the outcome in the query:
 * `femto=<name>&femto-status=ok&femto-result=<JSON>` or
 * `femto=<name>&femto-status=error&femto-error=<CODE>&femto-message=<text>`.
 * Where: the action's `?redirect=/path` (a path of this origin), else the page the form was on
 * (`Referer`, when it is this origin), else `/`. Read it with `formOutcome()` (unplugin-femto/runtime).
 */
export function formRedirect(req: IncomingMessage, name: string, outcome: Outcome, resultJson: string | undefined): Outcome {
  const target = new URL(landingOf(req), 'http://x')
  for (const key of [...target.searchParams.keys()].filter(k => k === 'femto' || k.startsWith('femto-')))
    target.searchParams.delete(key)
  target.searchParams.set('femto', name)
  if (outcome.status < 300) {
    target.searchParams.set('femto-status', 'ok')
    if (resultJson !== undefined && resultJson.length <= MAX_RESULT_IN_URL)
      target.searchParams.set('femto-result', resultJson)
  }
  else {
    const error = (outcome.value as { error?: { code?: string, message?: string } } | undefined)?.error
    target.searchParams.set('femto-status', 'error')
    target.searchParams.set('femto-error', error?.code ?? 'INTERNAL_ERROR')
    target.searchParams.set('femto-message', (error?.message ?? '').slice(0, 300))
  }
  return { status: 303, value: '', headers: { 'location': target.pathname + target.search + target.hash, 'cache-control': 'no-store' } }
}

/** A path of this origin only: never an open redirect to another site. */
function landingOf(req: IncomingMessage): string {
  const query = req.url?.split('?')[1]
  const asked = query ? new URLSearchParams(query).get('redirect') : null
  if (asked && isLocalPath(asked))
    return asked
  const referer = req.headers.referer
  // Behind femto up's gateway or `vite preview`, Host names the service; the page's host is forwarded.
  const host = referer && addressedHost(req)
  if (host) {
    try {
      const from = new URL(referer)
      if (from.host === host)
        return from.pathname + from.search
    }
    catch {}
  }
  return '/'
}

function isLocalPath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\')
}
