import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Outcome } from './types'
import { errorOutcome } from './outcome'

/** What an `auth` hook sees of a call: enough to check a session cookie or a header. */
export interface AuthRequest {
  /** The function called. */
  function: string
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** Parsed from the `cookie` header. */
  cookies: Record<string, string>
}

/** Decides whether a call from outside (a browser, through the gateway or the router) may run. */
export type AuthHook = (request: AuthRequest) => boolean | Promise<boolean>

/**
 * Sent by stubs on service-to-service calls. With a valid FEMTO_TOKEN it marks a call from inside,
 * which skips `auth` hooks; a gateway in front of the services must remove it from what it
 * forwards (the `femto up` gateway does), so that by default every call is one from outside.
 */
export const INTERNAL_HEADER = 'x-femto-internal'

/** The security boundary of one service (or router), read once at start-up. */
export interface Guard {
  /** Origins other than the service's own that browsers may call from (`allowedOrigins`, `FEMTO_ALLOWED_ORIGINS`). */
  origins: Set<string>
  /** `Authorization: Bearer <FEMTO_TOKEN>` required on every call, when set. */
  token: string | undefined
  /** Every call comes from outside (the router, mounted in the app): no token, hooks always apply. */
  edge: boolean
}

export function createGuard(allowedOrigins: string[] = [], edge = false): Guard {
  const fromEnv = (process.env.FEMTO_ALLOWED_ORIGINS ?? '').split(',').map(o => o.trim()).filter(Boolean)
  return {
    origins: new Set([...allowedOrigins, ...fromEnv].map(originOf).filter(o => o !== undefined)),
    token: edge ? undefined : process.env.FEMTO_TOKEN || undefined,
    edge,
  }
}

/** `https://App.example.com:443/` → `https://app.example.com`, as browsers send it. */
function originOf(text: string): string | undefined {
  try {
    const { origin } = new URL(text)
    return origin === 'null' ? undefined : origin
  }
  catch {
    return undefined
  }
}

/** The host a browser addressed: the gateway forwards it as x-forwarded-host. */
export function addressedHost(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-forwarded-host']
  return ((typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : undefined) ?? req.headers.host)?.toLowerCase()
}

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host
  }
  catch {
    return undefined
  }
}

/**
 * A browser call from another origin is refused unless that origin is allowed (the CSRF check
 * Next.js and SvelteKit make): its `Origin` against the host it addressed, and `Sec-Fetch-Site`.
 * Allowed ones get CORS headers. Calls without `Origin` (curl, other services) pass.
 */
export function checkOrigin(guard: Guard, req: IncomingMessage, res: ServerResponse): Outcome | undefined {
  const origin = req.headers.origin
  const site = req.headers['sec-fetch-site']
  if (origin === undefined) {
    if (site === 'cross-site' || site === 'same-site')
      return errorOutcome('FORBIDDEN', `a browser call from another site without an Origin header is refused`)
    return undefined
  }
  // The browser says so itself (pages cannot forge Sec-Fetch-Site): right even behind a proxy that rewrites Host.
  if (site === 'same-origin')
    return undefined
  const host = originHost(origin)
  if (site !== 'cross-site' && site !== 'same-site' && host !== undefined && host === addressedHost(req))
    return undefined
  if (!guard.origins.has(origin))
    return errorOutcome('FORBIDDEN', `calls from ${origin} are refused: it is not this service's origin; add it to allowedOrigins (or FEMTO_ALLOWED_ORIGINS) to allow it`)
  res.setHeader('access-control-allow-origin', origin)
  // Credentials too: an allowed page's session cookie is what an `auth` hook checks.
  res.setHeader('access-control-allow-credentials', 'true')
  res.setHeader('vary', 'origin')
  res.setHeader('access-control-expose-headers', 'x-request-id, server-timing')
  return undefined
}

/** The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function preflight(guard: Guard, req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin
  if (!origin || !guard.origins.has(origin)) {
    const body = JSON.stringify({ error: { code: 'FORBIDDEN', message: `calls from ${origin ?? 'an unknown origin'} are refused; add it to allowedOrigins to allow it` } })
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'vary': 'origin' })
    res.end(body)
    return
  }
  res.writeHead(204, {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
    'access-control-max-age': '600',
    'access-control-allow-credentials': 'true',
    'vary': 'origin',
  })
  res.end()
}

export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
}

/** Constant time, so the token cannot be guessed a character at a time from answer times. */
function sameSecret(given: string, expected: string): boolean {
  let difference = given.length ^ expected.length
  for (let i = 0; i < expected.length; i++)
    difference |= (given.charCodeAt(i) | 0) ^ expected.charCodeAt(i)
  return difference === 0
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function carriesToken(given: string | undefined, token: string): boolean {
  return typeof given === 'string' && given.startsWith('Bearer ') && sameSecret(given.slice(7), token)
}

export function checkToken(guard: Guard, req: IncomingMessage): Outcome | undefined {
  if (guard.token === undefined || carriesToken(req.headers.authorization, guard.token))
    return undefined
  return errorOutcome('UNAUTHORIZED', 'this service requires Authorization: Bearer <FEMTO_TOKEN>')
}

/**
 * An internal function (`exposure`, docs/guide/security.md) answers only calls from other femto
 * services: after `checkToken`, the mark of a call from inside, which a gateway strips from what
 * it forwards. Without a token nothing tells one caller from another: a service started without
 * one (outside production, or with FEMTO_ALLOW_NO_TOKEN=1) said so when it started.
 */
export function checkInternal(guard: Guard, req: IncomingMessage, name: string): Outcome | undefined {
  if (guard.token === undefined || req.headers[INTERNAL_HEADER] !== undefined)
    return undefined
  return errorOutcome('FORBIDDEN', `${name} is internal (no client code imports it, or its policy says exposure=internal): only other femto services may call it`)
}

/** The browser's own `Authorization`, moved aside by the gateway to make room for the token. */
export const FORWARDED_AUTHORIZATION = 'x-femto-authorization'

/** The header operations a hop needs, over Node's header object or fetch's `Headers`. */
export interface HeaderEdit {
  /** The caller's `Authorization`, as it came. */
  authorization: string | undefined
  remove: (name: string) => void
  set: (name: string, value: string) => void
}

/**
 * What every gateway (femto up's, the deploy's, unplugin-femto/handler) tells a service about a
 * call from outside: with a token, the token, the caller's own `Authorization` moved aside for
 * its `auth` hook; never the mark of a call from inside. A service calling another through a
 * gateway already holds the token, and goes through as it is.
 */
export function asCallFromOutside(edit: HeaderEdit, token: string | undefined): void {
  if (token && carriesToken(edit.authorization, token))
    return
  edit.remove(INTERNAL_HEADER)
  edit.remove(FORWARDED_AUTHORIZATION)
  if (token) {
    if (edit.authorization !== undefined)
      edit.set(FORWARDED_AUTHORIZATION, edit.authorization)
    edit.set('authorization', `Bearer ${token}`)
  }
}

/**
 * After the token check: whether the call comes from outside (its `auth` hook applies), and the
 * headers the function and its hook see. The token itself never reaches user code: the caller's
 * own `Authorization` (moved aside by the gateway or a stub) takes its place, or none.
 */
export function settleHeaders(guard: Guard, req: IncomingMessage): boolean {
  const headers = req.headers
  const internal = guard.token !== undefined && headers[INTERNAL_HEADER] !== undefined
  const own = headers[FORWARDED_AUTHORIZATION]
  if (typeof own === 'string') {
    headers.authorization = own
    delete headers[FORWARDED_AUTHORIZATION]
  }
  else if (guard.token !== undefined && headers.authorization !== undefined) {
    delete headers.authorization
  }
  return !internal
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = Object.create(null)
  if (!header)
    return cookies
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=')
    if (eq < 0)
      continue
    const name = pair.slice(0, eq).trim()
    if (!name || Object.hasOwn(cookies, name) || name === '__proto__')
      continue
    let value = pair.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    try {
      cookies[name] = decodeURIComponent(value)
    }
    catch {
      cookies[name] = value
    }
  }
  return cookies
}

/** Runs a function's `auth` hook; refused, it is a 403. */
export async function authorize(hook: AuthHook, name: string, req: IncomingMessage): Promise<Outcome | undefined> {
  const allowed = await hook({ function: name, method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, cookies: parseCookies(req.headers.cookie) })
  return allowed === true ? undefined : errorOutcome('FORBIDDEN', `the auth hook of ${name} refused this call`)
}
