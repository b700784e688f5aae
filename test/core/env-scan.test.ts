import { describe, expect, it } from 'vitest'
import { envVarsRead } from '../../src/core/env-scan'

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

it('skips the runtime\'s own computed read of FEMTO_URL_<NAME>', () => {
  expect(envVarsRead('const origin = (meta.env && globalThis.process.env[meta.env]) || process.env.FEMTO_GATEWAY')).toEqual({ names: [], dynamic: false })
})
