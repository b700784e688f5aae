import { describe, expect, it } from 'vitest'
import { envVarsRead } from '../../src/core/build/env-scan'

describe('environment variables a bundle reads', () => {
  it.each([
    ['process.env.STRIPE_KEY', ['STRIPE_KEY'], false],
    ['process.env["DB_URL"] + process.env[\'DB_USER\']', ['DB_URL', 'DB_USER'], false],
    ['process.env?.OPTIONAL_FLAG', ['OPTIONAL_FLAG'], false],
    ['import.meta.env.VITE_API', ['VITE_API'], false],
    ['const { SMTP_HOST, SMTP_PORT: port, SMTP_TLS = "1" } = process.env', ['SMTP_HOST', 'SMTP_PORT', 'SMTP_TLS'], false],
    ['const name = "X"; process.env[name]', [], true],
    ['spawn("x", [], { env: process.env })', [], true],
    ['process.env.PORT; process.env.HOST; process.env.FEMTO_URL_ADD; process.env.NODE_ENV; process.env.OTEL_EXPORTER_OTLP_ENDPOINT', [], false],
    ['const text = "no env here"', [], false],
  ])('%s', (code, names, dynamic) => {
    expect(envVarsRead(code)).toEqual({ names, dynamic })
  })
})

it('skips the runtime\'s own reads, taken in one recognised line', () => {
  expect(envVarsRead('const femtoRuntimeEnv = globalThis.process.env;\nconst origin = (meta.env && femtoRuntimeEnv[meta.env]) || femtoRuntimeEnv.FEMTO_GATEWAY')).toEqual({ names: [], dynamic: false })
})

it.each([
  ['globalThis.process.env.API_KEY', ['API_KEY'], false],
  ['process?.env?.MAYBE', ['MAYBE'], false],
  ['process.env[`LITERAL`]', ['LITERAL'], false],
  // eslint-disable-next-line no-template-curly-in-string -- the code scanned, not a template
  ['process.env[`KEY_${region}`]', [], true],
  ['const { A, ...others } = process.env', ['A'], true],
])('also %s', (code, names, dynamic) => {
  expect(envVarsRead(code)).toEqual({ names, dynamic })
})
