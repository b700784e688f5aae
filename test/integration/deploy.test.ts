import type { Manifest } from '../../src/core/build/manifest'
import type { RunningProcess } from '../helpers'
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { promisify } from 'node:util'
import { parse as parseModule } from '@babel/parser'
import { createServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import { gatewayBundle } from '../../src/core/deploy/gateway-bundle'
import femto from '../../src/vite'
import { post, startNode, viteBuild } from '../helpers'
import { k8sObjects as readK8sObjects, validateK8sObject } from '../support/kubernetes'

/** What a module imports: static imports, re-exports and `import()` of a string, as parsed. */
function importsOf(code: string): string[] {
  const sources: string[] = []
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object')
      return
    const n = node as { type?: string, source?: { value?: unknown }, callee?: { type?: string }, arguments?: { type?: string, value?: unknown }[] }
    if ((n.type === 'ImportDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration') && typeof n.source?.value === 'string')
      sources.push(n.source.value)
    if (n.type === 'CallExpression' && n.callee?.type === 'Import' && n.arguments?.[0]?.type === 'StringLiteral')
      sources.push(String(n.arguments[0].value))
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'loc' && key !== 'leadingComments' && key !== 'trailingComments' && key !== 'innerComments')
        Array.isArray(value) ? value.forEach(visit) : visit(value)
    }
  }
  visit(parseModule(code, { sourceType: 'module' }).program)
  return sources
}

const FIXTURE = join(import.meta.dirname, '../fixtures/deploy-app')
const CLI = join(import.meta.dirname, '../../dist/cli.js')
const OPTIONS = { files: { quote: ['config/prices.json'] }, deploy: { registry: 'registry.example.com/shop', host: 'shop.example.com' } }
const SERVICES = ['add', 'checkout', 'quote']
const run = promisify(execFile)

let work: string
let dist: string
let manifest: Manifest
const running: RunningProcess[] = []

const read = (path: string): string => readFileSync(join(dist, 'deploy', path), 'utf8')
/** Every file under `dir`, by its path from there, with its text. */
function readTree(dir: string): Map<string, string> {
  return new Map(readdirSync(dir, { recursive: true, withFileTypes: true }).filter(entry => entry.isFile()).map((entry) => {
    const path = join(entry.parentPath, entry.name)
    return [path.slice(dir.length + 1), readFileSync(path, 'utf8')]
  }))
}
const k8sObjects = (): any[] => readK8sObjects(dist)

beforeAll(async () => {
  // A copy, so that the rebuild test can edit a function.
  work = mkdtempSync(join(tmpdir(), 'femto-deploy-app-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist|node_modules)$/.test(src) })
  dist = await viteBuild(work, 'dist', OPTIONS)
  manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
})

afterAll(async () => {
  await Promise.all(running.map(p => p.stop('SIGKILL')))
})

describe('deploy files of a vite build (`deploy` option)', () => {
  it('writes a minimal Dockerfile per service: a Node base image, its bundle and files, a non-root user, HEALTHCHECK, EXPOSE', () => {
    expect(manifest.services.map(s => s.name)).toEqual(SERVICES)
    for (const service of manifest.services) {
      const lines = read(`docker/${service.name}.Dockerfile`).split('\n').filter(l => l && !l.startsWith('#'))
      expect(lines[0]).toBe('FROM node:20-alpine')
      const copies = lines.filter(l => l.startsWith('COPY ')).map(l => JSON.parse(l.slice(5)) as [string, string])
      expect(copies).toEqual([[`servers/${service.file}`, `/app/${service.file}`], ['servers/package.json', '/app/package.json'], ...service.files.map(f => [`servers/${f}`, `/app/${f}`])])
      // The build context is the output folder: every source is there.
      for (const [from] of copies)
        expect(existsSync(join(dist, from)), from).toBe(true)
      expect(lines).toContain(`EXPOSE ${service.port}`)
      expect(lines.findIndex(l => l === 'USER node')).toBeGreaterThan(lines.findIndex(l => l.startsWith('COPY ')))
      expect(lines.find(l => l.startsWith('HEALTHCHECK '))).toContain('/healthz')
      expect(lines.at(-1)).toBe(`CMD ["node","${service.file}"]`)
    }
    expect(manifest.services.find(s => s.name === 'quote')!.files).toEqual(['config/prices.json'])
    expect(manifest.services.find(s => s.name === 'add')!.files).toEqual([])
  })

  it('writes the gateway\'s image: the Node base image, its one file, the routes and the client build, nothing installed', () => {
    const lines = read('gateway/Dockerfile').split('\n').filter(l => l && !l.startsWith('#'))
    expect(lines[0]).toBe('FROM node:20-alpine')
    expect(lines.filter(l => /^(?:RUN|ADD) /.test(l))).toEqual([])
    const copies = lines.filter(l => l.startsWith('COPY ')).map(l => JSON.parse(l.slice(5)) as [string, string])
    expect(copies.slice(0, 2)).toEqual([['deploy/gateway/gateway.mjs', '/app/gateway.mjs'], ['deploy/gateway/femto.json', '/app/femto.json']])
    expect(copies).toContainEqual(['client/index.html', '/app/client/index.html'])
    for (const [from] of copies)
      expect(existsSync(join(dist, from)), from).toBe(true)
    expect(lines).toContain('USER node')
    expect(lines.at(-1)).toBe('CMD ["node","gateway.mjs"]')
    // One file: it imports nothing beside it (its code's imports, not the `import('./x')` of a JSDoc type in it).
    expect(importsOf(read('gateway/gateway.mjs')).filter(source => /^\.\.?\//.test(source))).toEqual([])
    // The routes, and nothing that a function's body changes.
    const routes = JSON.parse(read('gateway/femto.json'))
    expect(routes.functions.map((f: any) => f.route)).toEqual(manifest.functions.map(f => f.route))
    expect(JSON.stringify(routes)).not.toMatch(/"hash"|"bytes"|"contract"/)
  })

  it('joins the gateway into one file should a build of the package split it into chunks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-gateway-chunks-'))
    writeFileSync(join(dir, 'chunk.js'), 'export const answer = () => 42\n')
    writeFileSync(join(dir, 'gateway.js'), 'import { answer } from \'./chunk.js\'\nconst { later } = await import(\'./later.js\')\nconsole.log(answer() + later)\n')
    writeFileSync(join(dir, 'later.js'), 'export const later = 1\n')
    const code = await gatewayBundle(join(dir, 'gateway.js'))
    expect(code).not.toMatch(/\.\/(?:chunk|later)\.js/)
    const alone = join(mkdtempSync(join(tmpdir(), 'femto-gateway-one-')), 'gateway.mjs')
    writeFileSync(alone, code)
    expect((await run(process.execPath, [alone])).stdout.trim()).toBe('43')
  })

  it('writes a docker-compose.yml that `docker-compose config` accepts, wiring URLs, secrets and healthchecks', async () => {
    // Fails, not skips, when docker-compose is missing (.ci/run installs it).
    const { stdout } = await run('docker-compose', ['-f', join(dist, 'deploy/docker-compose.yml'), 'config'], { env: { ...process.env, PAYMENT_API_KEY: 'pay-key-1', FEMTO_TOKEN: 'tok' } })
    const config = parse(stdout)
    expect(Object.keys(config.services).sort()).toEqual(['add', 'checkout', 'femto-gateway', 'quote'])
    for (const service of manifest.services) {
      const composed = config.services[service.name]
      expect(composed.image).toBe(`registry.example.com/shop/femto-${service.name}:${service.hash}`)
      expect(composed.build.context).toBe(dist)
      for (const other of manifest.services)
        expect(composed.environment[other.env]).toBe(`http://${other.name}:${other.port}`)
      // From femto.env, which the deploy wrote: a FEMTO_TOKEN exported where docker-compose runs changes nothing.
      expect(composed.environment.FEMTO_TOKEN).toBe(/^FEMTO_TOKEN=(\w+)$/m.exec(readFileSync(join(dist, 'femto.env'), 'utf8'))![1])
      expect(composed.healthcheck.test.join(' ')).toContain('/healthz')
    }
    // Each service gets only the variables its own code reads.
    expect(config.services.checkout.environment.PAYMENT_API_KEY).toBe('pay-key-1')
    expect(config.services.add.environment).not.toHaveProperty('PAYMENT_API_KEY')
    expect(config.services.quote.environment).not.toHaveProperty('PAYMENT_API_KEY')
    expect(Object.keys(config.services.quote.environment)).toContain('SHOP_CURRENCY')
    const gateway = config.services['femto-gateway']
    expect(gateway.ports.map((p: any) => `${p.published}:${p.target}`)).toEqual(['8080:8080'])
    expect(Object.keys(gateway.depends_on).sort()).toEqual(SERVICES)
    // The gateway finds the services as they find each other.
    for (const other of manifest.services)
      expect(gateway.environment[other.env]).toBe(`http://${other.name}:${other.port}`)
    expect(gateway.healthcheck.test.join(' ')).toContain('/healthz')
    // Longest timeout (3 s), but not less than the 5 s keep-alive its callers may still use, + 1 s to answer + 1 s to flush.
    expect(config.services.quote.stop_grace_period).toBe('7s')
  })

  it('writes Kubernetes manifests that validate against the API schemas, tied together by kustomization.yaml', () => {
    const objects = k8sObjects()
    for (const object of objects) {
      expect(() => validateK8sObject(object), `${object.kind} ${object.metadata.name}`).not.toThrow()
    }
    const count = (kind: string): number => objects.filter(o => o.kind === kind).length
    expect([count('Deployment'), count('Service'), count('HorizontalPodAutoscaler'), count('ConfigMap'), count('Ingress')]).toEqual([4, 4, 3, 1, 1])
    // The validators do refuse what the API refuses.
    const deployment = objects.find(o => o.kind === 'Deployment')
    expect(() => validateK8sObject({ ...deployment, spec: { ...deployment.spec, selector: 'add' } })).toThrow()

    const kustomization = parse(read('k8s/kustomization.yaml'))
    expect(kustomization.kind).toBe('Kustomization')
    expect([...kustomization.resources].sort()).toEqual(readdirSync(join(dist, 'deploy/k8s')).filter(f => f !== 'kustomization.yaml').sort())

    const byName = (kind: string, name: string): any => objects.find(o => o.kind === kind && o.metadata.name === name)
    const urls = byName('ConfigMap', 'femto-urls').data
    expect(urls).toEqual(Object.fromEntries(manifest.services.map(s => [s.env, `http://${s.name}:${s.port}`])))
    // The scaling policy of `add` ('femto minReplicas=2 maxReplicas=5 cpu=200 cpuTarget=60 memoryMb=96').
    expect(byName('HorizontalPodAutoscaler', 'add').spec).toMatchObject({ minReplicas: 2, maxReplicas: 5, metrics: [{ resource: { name: 'cpu', target: { averageUtilization: 60 } } }] })
    expect(byName('HorizontalPodAutoscaler', 'quote').spec).toMatchObject({ minReplicas: 1, maxReplicas: 3 })
    const addPod = byName('Deployment', 'add').spec.template.spec
    expect(addPod.containers[0].resources).toEqual({ requests: { cpu: '200m', memory: '96Mi' }, limits: { memory: '96Mi' } })
    // Drain delay 5 s + longest timeout (quote: 3 s, but not under the 5 s keep-alive) + 1 s + 1 s to flush.
    expect(byName('Deployment', 'quote').spec.template.spec.terminationGracePeriodSeconds).toBe(12)
    expect(addPod.terminationGracePeriodSeconds).toBe(17)
    const checkout = byName('Deployment', 'checkout').spec.template.spec.containers[0]
    expect(checkout.image).toBe(`registry.example.com/shop/femto-checkout:${manifest.services.find(s => s.name === 'checkout')!.hash}`)
    expect(checkout.envFrom).toEqual([{ configMapRef: { name: 'femto-urls' } }])
    expect(checkout.env).toContainEqual({ name: 'PAYMENT_API_KEY', valueFrom: { secretKeyRef: { name: 'checkout-secrets', key: 'PAYMENT_API_KEY', optional: true } } })
    // A roll starts a new pod and stops an old one only once the new one is ready.
    for (const deployment of objects.filter(o => o.kind === 'Deployment')) {
      expect(deployment.spec.strategy, deployment.metadata.name).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } })
      expect(deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe(deployment.metadata.name === 'femto-gateway' ? '/healthz' : '/readyz')
    }
    const gatewayPod = byName('Deployment', 'femto-gateway').spec.template.spec
    expect(gatewayPod.securityContext.runAsUser).toBe(1000)
    expect(gatewayPod.containers[0].envFrom).toEqual([{ configMapRef: { name: 'femto-urls' } }])
    expect(gatewayPod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true)
    const ingress = byName('Ingress', 'femto').spec.rules[0]
    expect(ingress.host).toBe('shop.example.com')
    // Every function of deploy-app is public (its page imports them all); calls go through the gateway, which adds the token.
    expect(ingress.http.paths.map((p: any) => `${p.path} ${p.backend.service.name}:${p.backend.service.port.number}`)).toEqual([
      ...manifest.functions.map(f => `${f.route} femto-gateway:8080`),
      '/ femto-gateway:8080',
    ])
  })

  it('points the probes and healthchecks at paths a running service serves', async () => {
    const service = await startNode(join(dist, 'servers/quote.js'), { cwd: dist })
    running.push(service)
    const port = new URL(service.url).port
    const probes = k8sObjects().filter(o => o.kind === 'Deployment' && o.metadata.name !== 'femto-gateway').flatMap(o => o.spec.template.spec.containers.flatMap((c: any) => [c.livenessProbe, c.readinessProbe]))
    const paths = [...new Set(probes.map(p => p.httpGet.path))]
    expect(paths.sort()).toEqual(['/healthz', '/readyz'])
    expect(new Set(probes.map(p => p.httpGet.port))).toEqual(new Set(['http']))
    for (const path of paths) {
      const res = await fetch(`${service.url}${path}`)
      expect(res.status, path).toBe(200)
      expect(await res.json()).toMatchObject({ status: 'ok', service: 'quote' })
    }
    // The Compose and Dockerfile healthcheck, run as Docker runs it, against the live service and a dead port.
    const compose = parse(read('docker-compose.yml'))
    const [, command, ...args] = compose.services.quote.healthcheck.test as string[]
    expect(command).toBe('node')
    await expect(run(process.execPath, args, { env: { ...process.env, PORT: port } })).resolves.toBeDefined()
    await expect(run(process.execPath, args, { env: { ...process.env, PORT: '1' } })).rejects.toMatchObject({ code: 1 })
    expect(read('docker/quote.Dockerfile')).toContain(`CMD ${JSON.stringify(['node', ...args])}`)
  })

  it('copies per-function files next to the bundle, where the built function reads them at run time', async () => {
    expect(readFileSync(join(dist, 'servers/config/prices.json'), 'utf8')).toBe(readFileSync(join(FIXTURE, 'config/prices.json'), 'utf8'))
    expect(manifest.functions.find(f => f.name === 'quote')!.files).toEqual(['config/prices.json'])
    // The image's /app, made as its Dockerfile says: only what it copies, with a price changed
    // to show that the service reads the file beside it, not a copy baked into the bundle.
    const app = mkdtempSync(join(tmpdir(), 'femto-image-'))
    for (const line of read('docker/quote.Dockerfile').split('\n').filter(l => l.startsWith('COPY '))) {
      const [from, to] = JSON.parse(line.slice(5)) as [string, string]
      mkdirSync(dirname(join(app, to.slice('/app/'.length))), { recursive: true })
      copyFileSync(join(dist, from), join(app, to.slice('/app/'.length)))
    }
    writeFileSync(join(app, 'config/prices.json'), '{ "apple": 7 }')
    const service = await startNode(join(app, 'quote.js'), { cwd: tmpdir() })
    running.push(service)
    expect((await post(`${service.url}/femto/quote`, ['apple'])).body).toEqual({ sku: 'apple', price: 7, currency: 'EUR' })
    expect((await post(`${service.url}/femto/quote`, ['kiwi'])).body.error).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('finds the same files from the project root when the function runs unbuilt', async () => {
    const cwd = process.cwd()
    process.chdir(FIXTURE)
    try {
      const { quote } = await import('../fixtures/deploy-app/src/shop')
      expect(await quote('pear')).toEqual({ sku: 'pear', price: 5, currency: 'EUR' })
    }
    finally {
      process.chdir(cwd)
    }
  })

  it('finds them from the project root under vite dev, whatever the working directory', async () => {
    const server = await createServer({ root: work, configFile: false, logLevel: 'silent', plugins: [femto({ ...OPTIONS, summary: false })], server: { port: 0, host: '127.0.0.1' } })
    try {
      await server.listen()
      expect(process.cwd()).not.toBe(work)
      const base = server.resolvedUrls!.local[0]!.replace(/\/$/, '')
      expect(await post(`${base}/femto/quote`, ['pear'])).toMatchObject({ status: 200, body: { sku: 'pear', price: 5 } })
    }
    finally {
      await server.close()
    }
  })

  it('refuses a files entry that matches nothing, naming the function and the pattern', async () => {
    await expect(viteBuild(work, 'dist-missing', { files: { quote: ['config/nope.json'] } })).rejects.toThrow(/files\.quote: 'config\/nope\.json' matches no file/)
    await expect(viteBuild(work, 'dist-missing', { files: { nobody: ['config/prices.json'] } })).rejects.toThrow(/files\.nobody: no femto function has this name/)
  })

  it('after one function is edited and rebuilt, `femto deploy` changes only its service\'s files, byte for byte; --changed writes the same', async () => {
    const before = Object.fromEntries(manifest.services.map(s => [s.name, s.hash]))
    execFileSync(process.execPath, [CLI, 'deploy', dist])
    const deployed = readTree(join(dist, 'deploy'))
    writeFileSync(join(work, 'src/math.ts'), readFileSync(join(work, 'src/math.ts'), 'utf8').replace('return a + b', 'return b + a'))
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    let printed: string
    try {
      await viteBuild(work, 'dist', { ...OPTIONS, summary: true })
      printed = log.mock.calls.map(c => String(c[0])).join('\n')
    }
    finally {
      log.mockRestore()
    }
    const after: Manifest = JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))
    expect(after.changes).toEqual({ previous: true, added: [], changed: ['add'], removed: [], unchanged: ['checkout', 'quote'] })
    expect(printed).toContain('femto: since the previous build, changed: add (2 of 3 unchanged)')
    for (const service of after.services)
      expect(service.hash === before[service.name], service.name).toBe(service.name !== 'add')

    const { stdout } = await run(process.execPath, [CLI, 'deploy', dist])
    expect(stdout).toContain('femto deploy: wrote')
    const redeployed = readTree(join(dist, 'deploy'))
    expect([...redeployed.keys()].sort()).toEqual([...deployed.keys()].sort())
    // Only add's Dockerfile and Kubernetes file moved (kubectl apply changes one Deployment), and
    // in the Compose file only add's image tag: the gateway's files and image are untouched.
    const moved = [...redeployed.keys()].filter(file => redeployed.get(file) !== deployed.get(file)).sort()
    expect(moved).toEqual(['docker-compose.yml', 'docker/add.Dockerfile', 'k8s/add.yaml'])
    const [composeBefore, composeAfter] = [deployed, redeployed].map(tree => parse(tree.get('docker-compose.yml')!).services)
    for (const id of Object.keys(composeAfter))
      expect(composeAfter[id], id).toEqual(id === 'add' ? { ...composeBefore[id], image: `registry.example.com/shop/femto-add:${after.services[0]!.hash}` } : composeBefore[id])
    expect(read('k8s/add.yaml')).toContain(`image: registry.example.com/shop/femto-add:${after.services[0]!.hash}`)

    // --changed is kept for old scripts only: it says so, and writes exactly what a plain deploy does.
    const changed = await run(process.execPath, [CLI, 'deploy', dist, '--changed'])
    expect(changed.stdout).toContain('femto deploy: --changed is no longer needed and changes nothing')
    expect(readTree(join(dist, 'deploy'))).toEqual(redeployed)
  })

  it('rolls every Deployment together when the token in femto.env changes (pods read a Secret only when they start)', async () => {
    const digest = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 16)
    const deployments = (): any[] => k8sObjects().filter(o => o.kind === 'Deployment')
    const token = /^FEMTO_TOKEN=(\w+)$/m.exec(readFileSync(join(dist, 'femto.env'), 'utf8'))![1]!
    for (const deployment of deployments())
      expect(deployment.spec.template.metadata.annotations['femto.dev/token-sha256'], deployment.metadata.name).toBe(digest(token))
    writeFileSync(join(dist, 'femto.env'), 'FEMTO_TOKEN=rotated-token-4c1e\n')
    execFileSync(process.execPath, [CLI, 'deploy', dist])
    const rolled = deployments()
    expect(rolled.length).toBeGreaterThan(1)
    for (const deployment of rolled)
      expect(deployment.spec.template.metadata.annotations['femto.dev/token-sha256'], deployment.metadata.name).toBe(digest('rotated-token-4c1e'))
    expect(read('k8s/femto-token.yaml')).toContain('rotated-token-4c1e')
    // It holds the token: readable by its owner only, as femto.env is.
    expect(statSync(join(dist, 'deploy/k8s/femto-token.yaml')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dist, 'deploy/k8s/femto-urls.yaml')).mode & 0o077).not.toBe(0)
  })
})
