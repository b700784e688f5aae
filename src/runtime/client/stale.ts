import type { FemtoError } from '../shared/errors'
import type { StubMeta } from '../shared/protocol'

/**
 * What a browser page does when a call answers `STALE_CLIENT`: the page was built against a
 * contract no service serves any more (a deploy changed the function, and its previous version
 * is retired). `null`: nothing; the call's `FemtoError` is all the caller gets.
 */
export type StaleClientHook = (error: FemtoError, fn: { name: string, contract: string | undefined }) => void

/** sessionStorage key: when this tab last reloaded for a stale call. */
export const STALE_RELOAD_KEY = 'femto:stale-reload'

/**
 * A tab that reloaded for a stale call less than this long ago does not reload again: the
 * fresh page is stale too (a cached HTML file, a CDN still serving the old client), so another
 * reload would loop. Long enough for a reload and a first call; short enough that the next
 * deploy, minutes later, gets its reload.
 */
export const STALE_RELOAD_GUARD_MS = 60_000

let reloading = false

/** The default hook: reload the page once, so the user lands on the build the services serve. */
export function reloadOnce(): void {
  const location = (globalThis as { location?: { reload: () => void } }).location
  if (!location || reloading)
    return
  let storage: Storage | undefined
  try {
    storage = globalThis.sessionStorage
  }
  catch {} // a sandboxed frame throws on the getter
  try {
    const last = Number(storage?.getItem(STALE_RELOAD_KEY))
    if (Number.isFinite(last) && last > 0 && Date.now() - last < STALE_RELOAD_GUARD_MS) {
      console.warn('[femto] this page is still stale right after a reload: not reloading again (calls answer STALE_CLIENT until a fresh page is served)')
      return
    }
    storage?.setItem(STALE_RELOAD_KEY, String(Date.now()))
  }
  catch {
    // No storage (private mode quotas, sandbox): without the guard a reload could loop, so none.
    return
  }
  // One reload for every stale call of this page: the first one starts it.
  reloading = true
  location.reload()
}

let hook: StaleClientHook | null = reloadOnce

export function setStaleClientHook(next: StaleClientHook | null): void {
  hook = next
}

/** Tells the hook, if any, of a call that answered `STALE_CLIENT`; returns the error to throw. */
export function noticeStale(meta: StubMeta, error: FemtoError): FemtoError {
  if (error.code === 'STALE_CLIENT' && hook) {
    try {
      hook(error, { name: meta.name, contract: meta.contract })
    }
    catch (failure) {
      console.error('[femto] the onStaleClient hook threw:', failure)
    }
  }
  return error
}
