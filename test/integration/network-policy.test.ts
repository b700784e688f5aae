import type { Manifest } from '../../src/core/build/manifest'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { writeDeploy } from '../../src/core/deploy/write'
import { viteBuild } from '../helpers'
import { k8sObjects as readK8sObjects, validateK8sObject } from '../support/kubernetes'

// The Kubernetes output of the exposure-app: getPrice (public) and nightlyReport (internal) call
// priceOf (internal); paymentWebhook is public by policy; wipeCache internal by policy.

const FIXTURE = join(import.meta.dirname, '../fixtures/exposure-app')

let work: string
let dist: string
let manifest: Manifest
let objects: any[]

const k8sObjects = (): any[] => readK8sObjects(dist)

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-netpol-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  dist = await viteBuild(work, 'dist', { deploy: true })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
  objects = k8sObjects()
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

const podName = (peer: any): string => peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] ?? (peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ingress-nginx' ? 'ingress-controller' : JSON.stringify(peer))
const idOf = (name: string): string => name.replace(/([a-z\d])([A-Z])/g, '$1-$2').toLowerCase()

describe('networkPolicies from the call graph', () => {
  it('every NetworkPolicy, Secret and Deployment passes the Kubernetes API schemas', () => {
    const policies = objects.filter(o => o.kind === 'NetworkPolicy')
    expect(policies.map(p => p.metadata.name).sort()).toEqual(['femto-default-deny', 'femto-gateway', 'get-price', 'nightly-report', 'payment-webhook', 'price-of', 'wipe-cache'])
    for (const policy of policies)
      expect(() => validateK8sObject(policy), policy.metadata.name).not.toThrow()
    for (const secret of objects.filter(o => o.kind === 'Secret'))
      expect(() => validateK8sObject(secret)).not.toThrow()
    for (const deployment of objects.filter(o => o.kind === 'Deployment'))
      expect(() => validateK8sObject(deployment)).not.toThrow()
  })

  it('a default deny covers every femto pod of the namespace, both ways', () => {
    const deny = objects.find(o => o.kind === 'NetworkPolicy' && o.metadata.name === 'femto-default-deny')
    expect(deny.spec).toEqual({ podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'femto' } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] })
  })

  it('allows exactly the call graph\'s edges, plus the gateway to services with a public function, on the callee\'s port', () => {
    const port = new Map(manifest.services.map(s => [idOf(s.name), s.port]))
    const allowedIn = new Set<string>()
    const allowedOut = new Set<string>()
    for (const policy of objects.filter(o => o.kind === 'NetworkPolicy' && o.metadata.name !== 'femto-default-deny')) {
      const self = policy.spec.podSelector.matchLabels['app.kubernetes.io/name']
      for (const rule of policy.spec.ingress) {
        for (const peer of rule.from) {
          for (const p of rule.ports)
            allowedIn.add(`${podName(peer)} -> ${self}:${p.port}`)
        }
      }
      for (const rule of policy.spec.egress) {
        // DNS: to kube-dns on 53, for every femto pod.
        if (rule.ports.some((p: any) => p.port === 53)) {
          expect(rule.to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }])
          continue
        }
        for (const peer of rule.to) {
          for (const p of rule.ports)
            allowedOut.add(`${self} -> ${podName(peer)}:${p.port}`)
        }
      }
    }
    // Expected, from femto.json's callers per function (not the services' calls the writer used).
    const callEdges = manifest.functions.flatMap(fn => fn.callers!.map(caller => `${idOf(caller)} -> ${idOf(fn.service)}:${port.get(idOf(fn.service))}`))
    const publicServices = [...new Set(manifest.functions.filter(fn => fn.exposure === 'public').map(fn => idOf(fn.service)))]
    expect(publicServices.sort()).toEqual(['get-price', 'payment-webhook'])
    const expectedIn = new Set([
      ...callEdges,
      ...publicServices.map(s => `femto-gateway -> ${s}:${port.get(s)}`),
      'ingress-controller -> femto-gateway:8080',
    ])
    expect([...allowedIn].sort()).toEqual([...expectedIn].sort())
    expect(callEdges.sort()).toEqual([`get-price -> price-of:${port.get('price-of')}`, `nightly-report -> price-of:${port.get('price-of')}`])
    // Egress is the same edges seen from the caller (the Ingress controller is outside the namespace's policies).
    expect([...allowedOut].sort()).toEqual([...expectedIn].filter(e => !e.startsWith('ingress-controller')).sort())
  })

  it('are the same on every deploy of the same build', async () => {
    const first = readFileSync(join(dist, 'deploy/k8s/network-policies.yaml'), 'utf8')
    await writeDeploy({ outDir: dist, serversDir: 'servers', manifest, options: manifest.deploy! })
    expect(readFileSync(join(dist, 'deploy/k8s/network-policies.yaml'), 'utf8')).toBe(first)
    expect(parse(readFileSync(join(dist, 'deploy/k8s/kustomization.yaml'), 'utf8')).resources).toEqual(expect.arrayContaining(['network-policies.yaml', 'femto-token.yaml']))
  })
})

describe('the Ingress and the token', () => {
  it('with tokenSecret, every pod reads the token from the user\'s Secret, and none is written', async () => {
    const other = join(work, 'dist-own-secret')
    cpSync(dist, other, { recursive: true })
    await writeDeploy({ outDir: other, serversDir: 'servers', manifest, options: { ...manifest.deploy!, tokenSecret: 'shop-token' } })
    expect(existsSync(join(other, 'deploy/k8s/femto-token.yaml'))).toBe(false)
    for (const file of readdirSync(join(other, 'deploy/k8s'))) {
      for (const doc of parseAllDocuments(readFileSync(join(other, 'deploy/k8s', file), 'utf8')).map(d => d.toJS())) {
        if (doc.kind === 'Deployment')
          expect(doc.spec.template.spec.containers[0].env).toContainEqual({ name: 'FEMTO_TOKEN', valueFrom: { secretKeyRef: { name: 'shop-token', key: 'FEMTO_TOKEN', optional: false } } })
        expect(doc.kind).not.toBe('Secret')
      }
    }
  })

  it('the Ingress routes only public functions, through the gateway (which adds the token)', () => {
    const ingress = objects.find(o => o.kind === 'Ingress')
    expect(() => validateK8sObject(ingress)).not.toThrow()
    const paths = ingress.spec.rules[0].http.paths
    expect(paths.map((p: any) => p.path).filter((p: string) => p !== '/').sort()).toEqual(['/femto/getPrice', '/femto/paymentWebhook'])
    for (const path of paths)
      expect(path.backend).toEqual({ service: { name: 'femto-gateway', port: { number: 8080 } } })
  })

  it('every service and the gateway read FEMTO_TOKEN from one Secret, written from femto.env, which the next deploy keeps', async () => {
    const secret = objects.find(o => o.kind === 'Secret' && o.metadata.name === 'femto-token')
    const file = readFileSync(join(dist, 'femto.env'), 'utf8')
    const token = /^FEMTO_TOKEN=(\w+)$/m.exec(file)![1]!
    expect(token).toMatch(/^[0-9a-f]{48}$/)
    expect(secret.stringData).toEqual({ FEMTO_TOKEN: token })
    const deployments = objects.filter(o => o.kind === 'Deployment')
    expect(deployments).toHaveLength(manifest.services.length + 1)
    for (const deployment of deployments) {
      const env = deployment.spec.template.spec.containers[0].env
      expect(env.filter((e: any) => e.name === 'FEMTO_TOKEN'), deployment.metadata.name).toEqual([{ name: 'FEMTO_TOKEN', valueFrom: { secretKeyRef: { name: 'femto-token', key: 'FEMTO_TOKEN', optional: false } } }])
    }
    await writeDeploy({ outDir: dist, serversDir: 'servers', manifest, options: manifest.deploy! })
    expect(readFileSync(join(dist, 'femto.env'), 'utf8')).toBe(file)
    expect(existsSync(join(dist, 'deploy/k8s/femto-token.yaml'))).toBe(true)
  })

  it('compose reads the token from femto.env, for every container, with no FEMTO_TOKEN of its own to override it', () => {
    const compose = parse(readFileSync(join(dist, 'deploy/docker-compose.yml'), 'utf8'))
    for (const [name, service] of Object.entries<any>(compose.services)) {
      expect(service.env_file, name).toEqual(['../femto.env'])
      expect(service.environment?.FEMTO_TOKEN, name).toBeUndefined()
    }
  })
})
