// deploy.app's files without an engine: the Compose file docker-compose accepts, the Kubernetes
// objects validated against the API schemas, the NetworkPolicies with the app in the gateway's
// place, the app's image the same until its files do, and the refusals.
import type { Manifest } from '../../src/core/build/manifest'
import type { DeployOptions } from '../../src/core/deploy/options'
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { resolveDeployOptions } from '../../src/core/deploy/options'
import { writeDeploy } from '../../src/core/deploy/write'
import { viteBuild } from '../helpers'
import { k8sObjects as readK8sObjects, validateK8sObject } from '../support/kubernetes'

const FIXTURE = join(import.meta.dirname, '../fixtures/deploy-app')
const APP = { command: 'node server/index.mjs', files: ['server'], port: 4000, healthPath: '/up' }
const run = promisify(execFile)

let work: string
let dist: string
let manifest: Manifest

function readTree(dir: string): Map<string, string> {
  return new Map(readdirSync(dir, { recursive: true, withFileTypes: true }).filter(entry => entry.isFile()).map((entry) => {
    const path = join(entry.parentPath, entry.name)
    return [path.slice(dir.length + 1), readFileSync(path, 'utf8')]
  }))
}
const k8sObjects = (): any[] => readK8sObjects(dist)
const deploy = (app: DeployOptions['app'] = APP) => writeDeploy({ outDir: dist, serversDir: 'servers', manifest, root: work, options: resolveDeployOptions({ host: 'shop.example.com', app })! })

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'femto-deploy-app-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  mkdirSync(join(work, 'server'))
  writeFileSync(join(work, 'server/index.mjs'), '// the framework\'s server\n')
  dist = await viteBuild(work, 'dist', { deploy: { app: APP } })
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
}, 120_000)

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('deploy.app: the framework\'s server in the gateway\'s place', () => {
  it('is left to femto deploy by the build (the framework writes its server after femto\'s step), and recorded in femto.json', () => {
    expect(existsSync(join(dist, 'deploy'))).toBe(false)
    expect(manifest.deploy?.app).toEqual({ command: ['node', 'server/index.mjs'], files: ['server'], port: 4000, healthPath: '/up', image: '' })
  })

  it('writes the app\'s image (its files, the routes, the Node base image) and no gateway', async () => {
    const result = await deploy()
    expect(result.files.filter(f => f.startsWith('gateway/'))).toEqual([])
    expect(result.files).toContain('app/Dockerfile')
    const lines = readFileSync(join(dist, 'deploy/app/Dockerfile'), 'utf8').split('\n').filter(l => l && !l.startsWith('#'))
    expect(lines).toEqual([
      'FROM node:20-alpine',
      'ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 FEMTO_MANIFEST=/app/.femto/femto.json',
      'WORKDIR /app',
      'COPY ["deploy/app/files","/app"]',
      'COPY ["deploy/app/femto.json","/app/.femto/femto.json"]',
      'USER node',
      'EXPOSE 4000',
      expect.stringMatching(/^HEALTHCHECK .* CMD \["node","-e",".*\/up'\)/),
      'CMD ["node","server/index.mjs"]',
    ])
    expect(readFileSync(join(dist, 'deploy/app/files/server/index.mjs'), 'utf8')).toContain('the framework\'s server')
    expect(JSON.parse(readFileSync(join(dist, 'deploy/app/femto.json'), 'utf8')).functions.map((f: any) => f.route).sort()).toEqual(manifest.functions.map(f => f.route).sort())
  })

  it('writes a docker-compose.yml that docker-compose accepts: the app published, told where every service is, after them', async () => {
    await deploy()
    const { stdout } = await run('docker-compose', ['-f', join(dist, 'deploy/docker-compose.yml'), 'config'], { env: { ...process.env, PAYMENT_API_KEY: 'k' } })
    const services = parse(stdout).services
    expect(Object.keys(services).sort()).toEqual(['add', 'checkout', 'femto-app', 'quote'])
    const app = services['femto-app']
    expect(Object.keys(services).filter(name => services[name].ports)).toEqual(['femto-app'])
    expect(app.ports.map((p: any) => `${p.published}:${p.target}`)).toEqual(['8080:4000'])
    expect(app.build.dockerfile).toBe('deploy/app/Dockerfile')
    expect(Object.keys(app.depends_on).sort()).toEqual(['add', 'checkout', 'quote'])
    for (const service of manifest.services)
      expect(app.environment[service.env]).toBe(`http://${service.name}:${service.port}`)
    expect(app.environment.PORT).toBe('4000')
    expect(app.environment.FEMTO_TOKEN).toBe(/^FEMTO_TOKEN=(\w+)$/m.exec(readFileSync(join(dist, 'femto.env'), 'utf8'))![1])
    expect(app.healthcheck.test.join(' ')).toContain('/up')
  })

  it('writes Kubernetes objects that validate: the app\'s Deployment and Service, the Ingress to it, the token from the Secret', async () => {
    await deploy()
    const objects = k8sObjects()
    for (const object of objects)
      expect(() => validateK8sObject(object), `${object.kind} ${object.metadata.name}`).not.toThrow()
    const byName = (kind: string, name: string): any => objects.find(o => o.kind === kind && o.metadata.name === name)
    expect(objects.filter(o => o.metadata.name === 'femto-gateway')).toEqual([])
    const pod = byName('Deployment', 'femto-app').spec.template.spec
    const container = pod.containers[0]
    expect(container.image).toMatch(/^femto-app:[\da-f]{16}$/)
    expect(container.readinessProbe.httpGet).toEqual({ path: '/up', port: 'http' })
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'femto-urls' } }])
    expect(container.env).toContainEqual({ name: 'FEMTO_TOKEN', valueFrom: { secretKeyRef: { name: 'femto-token', key: 'FEMTO_TOKEN', optional: false } } })
    expect(container.env).toContainEqual({ name: 'PORT', value: '4000' })
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000 })
    expect(byName('Service', 'femto-app').spec.ports).toEqual([{ name: 'http', port: 4000, targetPort: 'http' }])
    const paths = byName('Ingress', 'femto').spec.rules[0].http.paths
    expect(new Set(paths.map((p: any) => `${p.backend.service.name}:${p.backend.service.port.number}`))).toEqual(new Set(['femto-app:4000']))
    expect(paths.at(-1).path).toBe('/')
    expect(parse(readFileSync(join(dist, 'deploy/k8s/kustomization.yaml'), 'utf8')).resources).toContain('femto-app.yaml')
  })

  it('lets the app into the services with public functions, as the gateway was, and the Ingress controller into the app', async () => {
    await deploy()
    const policies = k8sObjects().filter(o => o.kind === 'NetworkPolicy')
    const policy = (name: string): any => policies.find(p => p.metadata.name === name)
    expect(policy('femto-gateway')).toBeUndefined()
    expect(policy('femto-app').spec.ingress).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 4000, protocol: 'TCP' }] }])
    // Every function of deploy-app is public: the app may reach every service, and each takes the app's calls.
    const egress = policy('femto-app').spec.egress.slice(1).flatMap((rule: any) => rule.to.map((to: any) => `${to.podSelector.matchLabels['app.kubernetes.io/name']}:${rule.ports[0].port}`)).sort()
    expect(egress).toEqual(manifest.services.map(s => `${s.name}:${s.port}`).sort())
    for (const service of manifest.services) {
      const from = policy(service.name).spec.ingress.flatMap((rule: any) => rule.from.map((peer: any) => peer.podSelector?.matchLabels['app.kubernetes.io/name']))
      expect(from, service.name).toContain('femto-app')
    }
  })

  it('writes every file byte for byte the same on the next deploy; the app\'s image moves with its files alone', async () => {
    await deploy()
    const first = readTree(join(dist, 'deploy'))
    await deploy()
    expect(readTree(join(dist, 'deploy'))).toEqual(first)
    writeFileSync(join(work, 'server/index.mjs'), '// the framework\'s server, rebuilt\n')
    try {
      await deploy()
      const second = readTree(join(dist, 'deploy'))
      const moved = [...second.keys()].filter(file => second.get(file) !== first.get(file)).sort()
      // The app's tag is in the Compose file and its Kubernetes file; no service's file moved.
      expect(moved).toEqual(['app/files/server/index.mjs', 'docker-compose.yml', 'k8s/femto-app.yaml'])
    }
    finally {
      writeFileSync(join(work, 'server/index.mjs'), '// the framework\'s server\n')
    }
  })

  it('takes an image of the user\'s instead: nothing to build, the same wiring', async () => {
    const result = await deploy({ image: 'ghcr.io/acme/shop-web:1.2.0', port: 3000 })
    expect(result.files.filter(f => f.startsWith('app/') || f.startsWith('gateway/'))).toEqual([])
    const app = parse(readFileSync(join(dist, 'deploy/docker-compose.yml'), 'utf8')).services['femto-app']
    expect(app.image).toBe('ghcr.io/acme/shop-web:1.2.0')
    expect(app.build).toBeUndefined()
    expect(k8sObjects().find(o => o.kind === 'Deployment' && o.metadata.name === 'femto-app').spec.template.spec.containers[0].image).toBe('ghcr.io/acme/shop-web:1.2.0')
  })

  it('refuses files that are not built yet, and files that hold the services or the deploy', async () => {
    await expect(deploy({ ...APP, files: ['build'] })).rejects.toThrow(/deploy\.app\.files: build is not in .*; build the framework's server first/)
    await expect(deploy({ ...APP, files: ['dist'] })).rejects.toThrow(/deploy\.app\.files: dist holds femto's services or deploy files/)
    await expect(deploy({ ...APP, files: ['dist/servers'] })).rejects.toThrow(/holds femto's services/)
  })

  it.each([
    [{ files: ['build'] }, /deploy\.app\.command: needs the command/],
    [{ command: 'node build/index.js' }, /deploy\.app\.files: needs the paths/],
    [{ command: 'node x', files: ['../elsewhere'] }, /deploy\.app\.files: needs the paths, from the project root and inside it/],
    [{ command: 'node x', files: ['build'], port: 0 }, /deploy\.app\.port: '0' is not a port number/],
    [{ image: 'acme/web:1', command: 'node x' }, /deploy\.app\.image: an image of your own takes neither command nor files/],
    [{ command: 'node x', files: ['build'], healthz: '/' }, /deploy\.app\.healthz: unknown key/],
  ])('refuses app %j', (app, message) => {
    expect(() => resolveDeployOptions({ app: app as DeployOptions['app'] })).toThrow(message)
  })
})
