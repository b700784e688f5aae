import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tokenEnv, withTokenFile, withTokenFromSecret } from '../../src/core/deploy/secrets'
import { ensureTokenFile, tokenFileNotice } from '../../src/core/deploy/token-file'
import { checkTokenRequired } from '../../src/runtime/server/token-required'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'femto-token-'))
  dirs.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

describe('a service\'s start without a token', () => {
  it('is refused only in production, unless FEMTO_ALLOW_NO_TOKEN=1', () => {
    expect(checkTokenRequired('add', { NODE_ENV: 'production' })).toEqual({ ok: false, message: expect.stringMatching(/^\[femto\] add cannot start: NODE_ENV=production and FEMTO_TOKEN is not set\..*FEMTO_ALLOW_NO_TOKEN=1/) })
    expect(checkTokenRequired('add', { NODE_ENV: 'production', FEMTO_TOKEN: '' })).toMatchObject({ ok: false })
    expect(checkTokenRequired('add', { NODE_ENV: 'production', FEMTO_ALLOW_NO_TOKEN: 'yes' })).toMatchObject({ ok: false })
    expect(checkTokenRequired('add', { NODE_ENV: 'production', FEMTO_ALLOW_NO_TOKEN: '1' })).toEqual({ ok: true, warning: expect.stringContaining('warning: running in production without FEMTO_TOKEN') })
    expect(checkTokenRequired('add', { NODE_ENV: 'production', FEMTO_TOKEN: 't' })).toEqual({ ok: true })
    expect(checkTokenRequired('add', {})).toEqual({ ok: true })
    expect(checkTokenRequired('add', { NODE_ENV: 'development' })).toEqual({ ok: true })
  })
})

describe('femto.env', () => {
  it('is created once with a random token, private to its owner, and never overwritten', async () => {
    const dir = tempDir()
    const first = await ensureTokenFile(dir)
    expect(first).toMatchObject({ path: join(dir, 'femto.env'), created: true, token: expect.stringMatching(/^[0-9a-f]{48}$/) })
    expect(statSync(first.path).mode & 0o777).toBe(0o600)
    expect(readFileSync(first.path, 'utf8')).toContain('Keep this file out of version control')
    expect(tokenFileNotice(first)).toContain('keep it out of version control')
    const second = await ensureTokenFile(dir)
    expect(second).toEqual({ ...first, created: false })
    expect(tokenFileNotice(second)).toBeUndefined()
  })

  it('keeps a token the user wrote, and refuses a file without one', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'femto.env'), '# mine\nFEMTO_TOKEN=my-own-secret\n')
    expect((await ensureTokenFile(dir)).token).toBe('my-own-secret')
    writeFileSync(join(dir, 'femto.env'), 'OTHER=1\n')
    await expect(ensureTokenFile(dir)).rejects.toThrow(/femto\.env has no FEMTO_TOKEN=<secret> line/)
  })
})

describe('the token in the deploy files', () => {
  it('compose: every container reads femto.env, and no environment entry overrides it', () => {
    const compose = withTokenFile({ services: { add: { environment: { FEMTO_TOKEN: 'from-the-shell', FEMTO_URL_ADD: 'http://add:1' } } as any } })
    expect(compose.services.add).toEqual({ env_file: ['../femto.env'], environment: { FEMTO_URL_ADD: 'http://add:1' } })
  })

  it('kubernetes: every Deployment\'s containers read it from the Secret, in place of any value they had', () => {
    const deployment = { kind: 'Deployment', spec: { template: { spec: { containers: [{ env: [{ name: 'FEMTO_TOKEN', value: '' }, { name: 'PORT', value: '1' }] }] } } } }
    const [out] = withTokenFromSecret([deployment, { kind: 'Service' }], 'shop-token') as any[]
    expect(out.spec.template.spec.containers[0].env).toEqual([{ name: 'PORT', value: '1' }, tokenEnv('shop-token')])
    expect(tokenEnv()).toEqual({ name: 'FEMTO_TOKEN', valueFrom: { secretKeyRef: { name: 'femto-token', key: 'FEMTO_TOKEN', optional: false } } })
  })
})
