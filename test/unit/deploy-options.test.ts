import { describe, expect, it } from 'vitest'
import { dnsName } from '../../src/core/deploy/model'
import { resolveDeployOptions } from '../../src/core/deploy/options'
import { resolveOptions } from '../../src/core/registry/options'
import { parsePolicyDirective } from '../../src/core/registry/policy'

describe('deploy settings', () => {
  it('names services as Kubernetes and DNS want them', () => {
    expect(['checkStock', 'sendEmail', 'add', 'HTTPProxy', 'get_user', '_private$x'].map(dnsName)).toEqual(['check-stock', 'send-email', 'add', 'http-proxy', 'get-user', 'private-x'])
  })

  it('turns deploy on with defaults, and refuses bad settings naming the key', () => {
    expect(resolveOptions({}).deploy).toBeUndefined()
    expect(resolveOptions({ deploy: true }).deploy).toEqual({ registry: '', baseImage: 'node:20-alpine', namespace: '', host: '', ingressClass: '', drainDelayMs: 5000, gatewayPort: 8080, gatewayHost: '', tokenSecret: '' })
    expect(() => resolveDeployOptions({ baseImage: 'node with spaces' })).toThrow(/deploy\.baseImage: 'node with spaces' is not an image name/)
    // The gateway is a Node service on baseImage: the nginx image older manifests record is dropped, any other is refused.
    expect(resolveDeployOptions({ gatewayImage: 'nginxinc/nginx-unprivileged:1.27-alpine' } as never)).toEqual(resolveDeployOptions(true))
    expect(() => resolveDeployOptions({ gatewayImage: 'my/nginx:1' } as never)).toThrow(/deploy\.gatewayImage: the gateway is a Node service now, built on baseImage/)
    expect(() => resolveDeployOptions({ gatewayHost: 'example.com' })).toThrow(/deploy\.gatewayHost: 'example\.com' is not an IP address/)
    for (const host of ['cafe', '999.1.1.1', '[::1'])
      expect(() => resolveDeployOptions({ gatewayHost: host }), host).toThrow(/deploy\.gatewayHost/)
    expect(resolveDeployOptions({ gatewayHost: '::1' })?.gatewayHost).toBe('::1')
    expect(() => resolveDeployOptions({ gatewayPort: -1 })).toThrow(/deploy\.gatewayPort/)
    expect(() => resolveDeployOptions({ namespace: 'My_Shop' })).toThrow(/deploy\.namespace: 'My_Shop' is not a Kubernetes namespace/)
    expect(() => resolveDeployOptions({ registry: 'ghcr.io/acme/' })).toThrow(/deploy\.registry/)
    expect(() => resolveDeployOptions({ registry: 'Ghcr.io/Acme' })).toThrow(/deploy\.registry: 'Ghcr\.io\/Acme' is not an image name prefix in lowercase/)
    expect(resolveDeployOptions({ registry: 'localhost:5000/acme_shop' })?.registry).toBe('localhost:5000/acme_shop')
    expect(() => resolveDeployOptions({ replicas: 3 } as never)).toThrow(/deploy\.replicas: unknown deploy option/)
  })

  it('checks the scaling policy keys like the other policies', () => {
    expect(parsePolicyDirective('femto minReplicas=2 maxReplicas=10 cpuTarget=60 cpu=250 memoryMb=256')).toEqual({ minReplicas: 2, maxReplicas: 10, cpuTarget: 60, cpu: 250, memoryMb: 256 })
    expect(() => parsePolicyDirective('femto minReplicas=0')).toThrow(/femto\.minReplicas: '0' is not a positive whole number/)
    expect(() => parsePolicyDirective('femto cpuTarget=150')).toThrow(/femto\.cpuTarget: '150' is not a whole number from 1 to 100/)
    expect(() => resolveOptions({ defaults: { maxReplicas: Infinity } })).toThrow(/defaults\.maxReplicas/)
  })

  it('refuses files outside the project', () => {
    expect(() => resolveOptions({ files: { quote: '../secrets.json' } })).toThrow(/files\.quote: '\.\.\/secrets\.json' is not a path inside the project/)
    expect(() => resolveOptions({ files: { quote: '/etc/passwd' } })).toThrow(/files\.quote/)
    expect(resolveOptions({ files: { quote: 'config/prices.json' } }).files).toEqual({ quote: ['config/prices.json'] })
  })
})
