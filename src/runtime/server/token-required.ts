import { femtoRuntimeEnv } from './env'

/**
 * The switch that lets a service run in production without FEMTO_TOKEN: documented in
 * docs/reference/environment.md, and named in the line a service prints when it refuses to start.
 */
export const ALLOW_NO_TOKEN = 'FEMTO_ALLOW_NO_TOKEN'

export type TokenCheck
  = | { ok: true, warning?: string }
    | { ok: false, message: string }

/**
 * Whether a service may start as its environment is. In production, without FEMTO_TOKEN, any
 * process that reaches its port could call every function, internal ones included: it refuses,
 * unless FEMTO_ALLOW_NO_TOKEN=1 says that is meant (then it warns). Outside production (`node
 * dist/servers/<fn>.js` on a laptop, tests) it starts as before.
 */
export function checkTokenRequired(service: string, env: NodeJS.ProcessEnv): TokenCheck {
  if (env.FEMTO_TOKEN || env.NODE_ENV !== 'production')
    return { ok: true }
  if (env[ALLOW_NO_TOKEN] === '1')
    return { ok: true, warning: `[femto] ${service}: warning: running in production without FEMTO_TOKEN (${ALLOW_NO_TOKEN}=1): anyone who reaches this port may call its functions, internal ones included` }
  return { ok: false, message: `[femto] ${service} cannot start: NODE_ENV=production and FEMTO_TOKEN is not set. Set FEMTO_TOKEN (one secret shared by the services and the gateway; femto deploy writes one), or ${ALLOW_NO_TOKEN}=1 to run without it` }
}

/** At a service's start: exits 1 with one line when it must not run, warns when it runs unprotected. */
export function requireToken(service: string): void {
  // Through the runtime's one view of the environment: the build's secrets scan does not count it as the function's.
  const check = checkTokenRequired(service, femtoRuntimeEnv)
  if (!check.ok) {
    console.error(check.message)
    process.exit(1)
  }
  if (check.warning)
    console.warn(check.warning)
}
