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

/** Set by the `femto up` gateway on the calls it forwards: they come from outside, so `auth` hooks apply. */
export const EDGE_HEADER = 'x-femto-edge'

/** The security boundary of one service (or router), read once at start-up. */
export interface Guard {
  /** Origins other than the service's own that browsers may call from (`allowedOrigins`, `FEMTO_ALLOWED_ORIGINS`). */
  origins: Set<string>
  /** `Authorization: Bearer <FEMTO_TOKEN>` required on every call, when set. */
  token: string | undefined
  /** Every call comes from outside (the router, mounted in the app): no token, hooks always apply. */
  edge: boolean
}

export function createGuard(allowedOrigins: string[] = [], edge = false, env: NodeJS.ProcessEnv = globalThis.process.env): Guard {
  const fromEnv = (env.FEMTO_ALLOWED_ORIGINS ?? '').split(',').map(o => o.trim()).filter(Boolean)
  return {
    origins: new Set([...allowedOrigins, ...fromEnv].map(o => o.replace(/\/$/, ''))),
    token: edge ? undefined : env.FEMTO_TOKEN || undefined,
    edge,
  }
}

/** The host a browser addressed: the gateway forwards it as x-forwarded-host. */
function addressedHost(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-forwarded-host']
  return (typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : undefined) ?? req.headers.host
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
  if (site !== 'cross-site' && site !== 'same-site' && originHost(origin) === addressedHost(req))
    return undefined
  if (!guard.origins.has(origin))
    return errorOutcome('FORBIDDEN', `calls from ${origin} are refused: it is not this service's origin; add it to allowedOrigins (or FEMTO_ALLOWED_ORIGINS) to allow it`)
  res.setHeader('access-control-allow-origin', origin)
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

export function checkToken(guard: Guard, req: IncomingMessage): Outcome | undefined {
  if (guard.token === undefined)
    return undefined
  const given = req.headers.authorization
  if (typeof given === 'string' && given.startsWith('Bearer ') && sameSecret(given.slice(7), guard.token))
    return undefined
  return errorOutcome('UNAUTHORIZED', 'this service requires Authorization: Bearer <FEMTO_TOKEN>')
}

/** The browser's own `Authorization`, moved aside by the gateway to make room for the token. */
export const FORWARDED_AUTHORIZATION = 'x-femto-authorization'

/**
 * Whether the call's `auth` hook applies: it came from outside, not from another service holding
 * the token. A call the gateway forwarded gets the browser's own `Authorization` back for the hook.
 */
export function fromOutside(guard: Guard, req: IncomingMessage): boolean {
  if (guard.edge || guard.token === undefined)
    return true
  if (req.headers[EDGE_HEADER] === undefined)
    return false
  const own = req.headers[FORWARDED_AUTHORIZATION]
  if (typeof own === 'string')
    req.headers.authorization = own
  else
    delete req.headers.authorization
  return true
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {}
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
