// Version skew during a roll on the real engine (issue 17): the skew app deployed at version 1 on
// Compose; quote's parameter type changed, rebuilt, `femto deploy dist`, and only quote rolled
// (`docker-compose up -d --build --no-deps quote quote-<hash>`), as a roll is half way through:
// checkout's container still runs version 1, whose stub sends quote's previous contract to
// quote's ordinary address. Quote's new container forwards that call to its previous version's
// container, so checkout still answers version 1's result; once checkout has rolled too, version 2's.
import type { Manifest } from '../../src/core/build/manifest'
import type { ComposeProject } from '../support/docker'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { editFile, freePort, viteBuild } from '../helpers'
import { deployAndUp, dockerAnswers, ensureStandinImages, removeImages } from '../support/docker'

const FIXTURE = join(import.meta.dirname, '../fixtures/skew-app')

let work: string
let dist: string
let options: Parameters<typeof viteBuild>[2]
let project: ComposeProject | undefined
const images = new Set<string>()

const manifest = (): Manifest => JSON.parse(readFileSync(join(dist, 'servers/femto.json'), 'utf8'))

/** The deploy as the deploying guide says it (test/support/docker.ts); the gateway's address. */
async function deploy(...up: string[]): Promise<string> {
  let gateway: string
  ({ project, gateway } = await deployAndUp(dist, `femto-skew-roll-${process.pid}`, images, ...up))
  return gateway
}

async function checkout(gateway: string): Promise<string> {
  const res = await fetch(`${gateway}/femto/checkout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[7]' })
  return `${res.status} ${await res.text()}`
}

beforeAll(async () => {
  if (!dockerAnswers())
    throw new Error('no Docker daemon answers `docker info`; start dockerd (see .ci/run)')
  const { node } = ensureStandinImages()
  work = mkdtempSync(join(tmpdir(), 'femto-skew-docker-roll-'))
  cpSync(FIXTURE, work, { recursive: true, filter: src => !/[\\/](?:dist[^\\/]*|node_modules)$/.test(src) })
  options = { skewWindow: '1h', deploy: { baseImage: node, gatewayHost: '127.0.0.1', gatewayPort: await freePort() } }
  dist = await viteBuild(work, 'dist', options)
}, 240_000)

afterAll(async () => {
  await project?.down()
  await removeImages([...images])
  if (work)
    rmSync(work, { recursive: true, force: true })
}, 120_000)

describe('a Compose roll half way through', () => {
  it('serves a caller that has not rolled through its callee that has, by the callee\'s previous version', async () => {
    let gateway = await deploy()
    expect(await checkout(gateway)).toBe('200 "checkout v1:7"')

    editFile(join(work, 'src/quote.ts'), 'quote(amount: number) {\n  \'use femto\'\n  return `v1:', 'quote(amount: number | string) {\n  \'use femto\'\n  return `v2:')
    await viteBuild(work, 'dist', options)
    const previous = manifest().functions.find(fn => fn.name === 'quote')!.previous![0]!
    const before = await project!.containers()
    // Only quote rolls (and its previous version starts); checkout's container is the one of version 1.
    gateway = await deploy('--no-deps', 'quote', `quote-${previous.hash}`)
    const during = await project!.containers()
    expect(during.checkout).toBe(before.checkout)
    expect(during.quote).not.toBe(before.quote)
    expect(await checkout(gateway)).toBe('200 "checkout v1:7"')
    const { stdout } = await project!.compose('logs', '--no-color', 'quote')
    expect(stdout).toContain(`calls built against contract ${previous.contract}`)

    // The roll completes: checkout at version 2 calls quote's version 2.
    gateway = await deploy()
    expect((await project!.containers()).checkout).not.toBe(before.checkout)
    expect(await checkout(gateway)).toBe('200 "checkout v2:7"')
  }, 600_000)
})
