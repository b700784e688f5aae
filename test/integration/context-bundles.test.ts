import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { post, startNode, viteBuild } from '../helpers'

const APP = join(import.meta.dirname, '../fixtures/context-app')

// The request context costs every call, so each service's one build keeps it only where kept code
// reads it. Each bundle of this app shows one way that goes.
describe('the request context in service bundles', () => {
  let servers: string
  beforeAll(async () => {
    servers = join(await viteBuild(APP, 'dist'), 'servers')
  })
  const hasContext = (file: string): boolean => readFileSync(join(servers, file), 'utf8').includes('new AsyncLocalStorage')

  it('is left out of a service that calls no other', () => {
    expect(hasContext('leaf.js')).toBe(false)
  })

  it('is left out of a service whose modules only declare a stub of another', () => {
    expect(readFileSync(join(servers, 'bystander.js'), 'utf8')).not.toContain('function callService(')
    expect(hasContext('bystander.js')).toBe(false)
  })

  it('is in a service that calls another', () => {
    expect(hasContext('caller.js')).toBe(true)
  })

  it('is in a service whose function reads it, and in the router that hosts that function', () => {
    expect(hasContext('asker.js')).toBe(true)
    expect(hasContext('router.js')).toBe(true)
  })

  it('gives the function its deadline: its timeoutMs from when it started', async () => {
    const asker = await startNode(join(servers, 'asker.js'), { env: { FEMTO_ALLOW_NO_TOKEN: '1', FEMTO_LOG_LEVEL: 'warn' } })
    try {
      const { body } = await post(`${asker.url}/femto/asker`, [])
      expect(body.requestId).toEqual(expect.any(String))
      expect(body.msLeft).toBeGreaterThan(0)
      expect(body.msLeft).toBeLessThanOrEqual(5000)
    }
    finally {
      await asker.stop()
    }
  })
})
