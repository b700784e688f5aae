import type { StubMeta } from './protocol'
import { errorFromResponse, FemtoError } from './errors'

const config = { baseUrl: '' }

/**
 * Sets the origin browser stubs call (default: the page's own origin, through relative
 * URLs). Needed only when the services live on another origin, or when stubs run outside a
 * browser page without a service-side runtime.
 */
export function configureFemto(options: { baseUrl?: string }): void {
  if (options.baseUrl !== undefined)
    config.baseUrl = options.baseUrl.replace(/\/$/, '')
}

/** The helper every browser stub calls: one POST per call, JSON in and out. */
export async function callFemto(meta: StubMeta, args: unknown[]): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(config.baseUrl + meta.route, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(args),
    })
  }
  catch (error) {
    throw new FemtoError(503, { code: 'UNAVAILABLE', message: `could not reach femto function '${meta.name}': ${(error as Error).message}` })
  }
  const text = await response.text()
  if (!response.ok)
    throw errorFromResponse(response.status, text, response.headers.get('x-request-id') ?? undefined)
  return parseResult(meta, text)
}

/** A 200 whose body is not JSON (a proxy's page, a truncated answer) is a failed call too. */
export function parseResult(meta: StubMeta, text: string): unknown {
  if (text === '')
    return undefined
  try {
    return JSON.parse(text)
  }
  catch {
    throw new FemtoError(502, { code: 'BAD_RESPONSE', message: `femto function '${meta.name}' answered something that is not JSON: ${text.slice(0, 100)}` })
  }
}
