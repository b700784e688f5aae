// The deploy output of a build that keeps a previous version (version skew): the Kubernetes
// objects of two live versions validate against the API schemas, and the generated gateway
// (`gateway.mjs`, as its image runs it) routes by `x-femto-contract` to the processes of both.
import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { ConfigMap, Service as CoreService, Secret } from 'kubernetes-models/v1'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { encodeRich, RICH_TYPE } from '../../src/runtime/shared/codec'
import { editFile, freePort, startNode, viteBuild } from '../helpers'

const FIXTURE = join(import.meta.dirname, '../fixtures/skew-app')
const MODELS: Record<string, new (data: any) => { validate: () => void }> = { Deployment, Service: CoreService, HorizontalPodAutoscaler, Ingress, NetworkPolicy, ConfigMap, Secret }

let work: string
let dist: string
let v1: Manifest
let v2: Manifest
const started: RunningProcess[] = []

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-skew-deploy-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|node_modules)$/.test(src) })
  const options = { skewWindow: '1h', deploy: true }
  dist = await viteBuild(work, 'dist', options)
  v1 = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  editFile(join(work, 'src/quote.ts'), 'quote(amount: number) {\n  \'use femto\'\n  return `v1:', 'quote(amount: number | string) {\n  \'use femto\'\n  return `v2:')
  await viteBuild(work, 'dist', options)
  v2 = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
}, 180_000)

afterAll(async () => {
  await Promise.all(started.map(p => p.stop()))
  if (work)
    rmSync(work, { recursive: true, force: true })
})

const k8sObjects = (): any[] => readdirSync(join(dist, 'deploy/k8s')).filter(f => f !== 'kustomization.yaml').flatMap(f => parseAllDocuments(readFileSync(join(dist, 'deploy/k8s', f), 'utf8')).map(d => d.toJS()))

describe('the deploy of two live versions', () => {
  it('writes the previous version as a Deployment and Service of its own, named by its hash, that validate', () => {
    const previous = v2.functions.find(fn => fn.name === 'quote')!.previous![0]!
    expect(previous.contract).toBe(v1.functions.find(fn => fn.name === 'quote')!.contract)
    const id = `quote-${previous.hash}`
    const objects = k8sObjects()
    for (const object of objects) {
      const Model = MODELS[object.kind]
      expect(Model, object.kind).toBeDefined()
      expect(() => new Model!(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow()
    }
    const deployments = objects.filter(o => o.kind === 'Deployment').map(o => o.metadata.name)
    expect(deployments).toEqual(expect.arrayContaining(['quote', id, 'checkout', 'femto-gateway']))
    const old = objects.find(o => o.kind === 'Deployment' && o.metadata.name === id)
    expect(old.spec.template.spec.containers[0].image).toBe(`femto-${id}:${previous.hash}`)
    // The ConfigMap names it by the contract it serves; the Ingress sends nothing to it (the gateway does).
    const urls = objects.find(o => o.kind === 'ConfigMap')
    expect(urls.data[`FEMTO_URL_QUOTE__${previous.contract}`]).toBe(`http://${id}:${v2.services.find(s => s.name === 'quote')!.port}`)
    expect(JSON.stringify(objects.find(o => o.kind === 'Ingress'))).not.toContain(id)
    // Its own NetworkPolicy lets in the gateway, quote (which forwards a call built against the
    // previous contract there) and quote's callers (their previous versions call it directly).
    const policy = objects.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === id)
    const from = policy.spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name']))
    expect(from).toEqual(expect.arrayContaining(['femto-gateway', 'quote', 'checkout']))
    const quotePolicy = objects.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'quote')
    expect(JSON.stringify(quotePolicy.spec.egress)).toContain(id)
    // Compose: a service of its own too; the gateway and quote itself are told where it is, its
    // callers not (their containers stay as they were while versions come and go).
    const compose = parse(readFileSync(join(dist, 'deploy/docker-compose.yml'), 'utf8'))
    expect(compose.services[id].build.dockerfile).toBe(`deploy/docker/${id}.Dockerfile`)
    const address = `http://${id}:${v2.services.find(s => s.name === 'quote')!.port}`
    expect(compose.services['femto-gateway'].environment[`FEMTO_URL_QUOTE__${previous.contract}`]).toBe(address)
    expect(compose.services.quote.environment[`FEMTO_URL_QUOTE__${previous.contract}`]).toBe(address)
    expect(compose.services.checkout.environment[`FEMTO_URL_QUOTE__${previous.contract}`]).toBeUndefined()
  })

  it('the generated gateway sends a call with the previous contract to the previous version, any other to the current one', async () => {
    const previous = v2.functions.find(fn => fn.name === 'quote')!.previous![0]!
    const token = 'skew-test-token'
    const env = { FEMTO_TOKEN: token, NODE_ENV: 'development' }
    const current = await startNode(join(dist, 'servers/quote.js'), { env })
    const old = await startNode(join(dist, 'servers', previous.file), { env })
    const checkout = await startNode(join(dist, 'servers/checkout.js'), { env: { ...env, FEMTO_URL_QUOTE: current.url } })
    started.push(current, old, checkout)
    const gateway = await startNode(join(dist, 'deploy/gateway/gateway.mjs'), {
      env: {
        FEMTO_TOKEN: token,
        FEMTO_MANIFEST: join(dist, 'deploy/gateway/femto.json'),
        FEMTO_STATIC_DIR: '',
        FEMTO_URL_QUOTE: current.url,
        FEMTO_URL_CHECKOUT: checkout.url,
        [`FEMTO_URL_QUOTE__${previous.contract}`]: old.url,
      },
    })
    started.push(gateway)
    const call = async (contract?: string): Promise<string> => {
      const res = await fetch(`${gateway.url}/femto/quote`, { method: 'POST', headers: { 'content-type': RICH_TYPE, 'accept': 'application/json', ...(contract ? { 'x-femto-contract': contract } : {}) }, body: encodeRich([7]) })
      return `${res.status} ${await res.text()}`
    }
    expect(await call(previous.contract)).toBe('200 "v1:7"')
    expect(await call(v2.functions.find(fn => fn.name === 'quote')!.contract)).toBe('200 "v2:7"')
    expect(await call()).toBe('200 "v2:7"')
    expect(await call('0000dead')).toMatch(/^409 .*STALE_CLIENT/)
  })

  it('during a roll, a caller already at version 2 calling a callee still at version 1 is held until the callee has rolled, then answered', async () => {
    const previous = v2.functions.find(fn => fn.name === 'quote')!.previous![0]!
    const token = 'skew-roll-token'
    const port = String(await freePort())
    const env = { FEMTO_TOKEN: token, NODE_ENV: 'development' }
    const oldQuote = await startNode(join(dist, 'servers', previous.file), { env: { ...env, PORT: port } })
    started.push(oldQuote)
    const checkout = await startNode(join(dist, 'servers/checkout.js'), { env: { ...env, FEMTO_URL_QUOTE: `http://127.0.0.1:${port}` } })
    started.push(checkout)
    const answer = fetch(`${checkout.url}/femto/checkout`, { method: 'POST', headers: { 'content-type': 'application/json', 'authorization': `Bearer ${token}` }, body: '[7]' })
      .then(async res => `${res.status} ${await res.text()}`)
    // The caller met STALE_CLIENT from the callee that has not rolled, and holds the call.
    await expect.poll(() => checkout.output()).toContain('quote: not reached')
    await oldQuote.stop()
    started.push(await startNode(join(dist, 'servers/quote.js'), { env: { ...env, PORT: port } }))
    expect(await answer).toBe('200 "checkout v2:7"')
  })
})
