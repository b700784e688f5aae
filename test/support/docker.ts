// Real Docker for the deploy tests. No image registry is reachable from these machines, so the
// base image the generated Dockerfiles name (services and gateway alike) is replaced by a local
// stand-in built from this machine's own binaries: `docker import` of a root filesystem holding
// node. The deploy output keeps the real image's name as default; tests pass the stand-in's name
// as the `baseImage` deploy setting.
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'

export const NODE_STANDIN = 'femto-standin/node:20'

/** Whether a Docker daemon answers (CI starts one; see .ci/run). */
export function dockerAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0
}

function imageExists(name: string): boolean {
  return spawnSync('docker', ['image', 'inspect', name], { stdio: 'ignore' }).status === 0
}

/** The shared libraries a binary loads, by their paths on this machine (from ldd). */
function librariesOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' })
  return Array.from(out.matchAll(/(\/\S+\.so\S*)/g), m => m[1]!)
}

/** Copies binaries and the libraries they load into `root`, at the same paths. */
function copyBinaries(root: string, binaries: string[]): void {
  const files = new Set(binaries.flatMap(b => [b, ...librariesOf(b)]))
  for (const file of files) {
    const to = join(root, file)
    mkdirSync(dirname(to), { recursive: true })
    copyFileSync(file, to)
    chmodSync(to, 0o755)
  }
}

/** busybox (Debian's busybox-static) as /bin/sh and the few tools images expect, such as wget. */
function addBusybox(root: string, tools: string[]): void {
  mkdirSync(join(root, 'bin'), { recursive: true })
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'))
  chmodSync(join(root, 'bin/busybox'), 0o755)
  for (const tool of ['sh', ...tools])
    symlinkSync('busybox', join(root, 'bin', tool))
}

function importRootfs(root: string, name: string, changes: string[]): void {
  const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 1 << 30 })
  if (tar.status !== 0)
    throw new Error(`tar of ${root} failed: ${tar.stderr}`)
  execFileSync('docker', ['import', ...changes.flatMap(c => ['--change', c]), '-', name], { input: tar.stdout, stdio: ['pipe', 'ignore', 'inherit'] })
}

/** Like node:20-alpine where the Dockerfiles rely on it: `node` on the PATH and a user `node` (uid 1000). */
function buildNodeStandin(name: string): void {
  const root = mkdtempSync(join(tmpdir(), 'femto-node-rootfs-'))
  try {
    copyBinaries(root, [process.execPath])
    if (process.execPath !== '/usr/local/bin/node') {
      mkdirSync(join(root, 'usr/local/bin'), { recursive: true })
      symlinkSync(process.execPath, join(root, 'usr/local/bin/node'))
    }
    addBusybox(root, ['wget'])
    mkdirSync(join(root, 'etc'), { recursive: true })
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n')
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n')
    for (const dir of ['tmp', 'home/node', 'root'])
      mkdirSync(join(root, dir), { recursive: true })
    chmodSync(join(root, 'tmp'), 0o1777)
    importRootfs(root, name, ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'])
  }
  finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** Builds the stand-in base image once per machine (a later call finds it). */
export function ensureStandinImages(): { node: string } {
  if (!existsSync('/usr/bin/busybox'))
    throw new Error('the Docker tests need Debian\'s busybox-static on this machine (.ci/run installs it)')
  if (!imageExists(NODE_STANDIN))
    buildNodeStandin(NODE_STANDIN)
  return { node: NODE_STANDIN }
}

const run = promisify(execFile)

export interface ComposeProject {
  name: string
  /** `docker-compose -p <name> -f <files…> <args>`, with `env` added to this process's environment. */
  compose: (...args: string[]) => Promise<{ stdout: string, stderr: string }>
  /** Container id of each running service of the project. */
  containers: () => Promise<Record<string, string>>
  /** Status of each service's container (`Up 3 seconds (healthy)`). */
  statuses: () => Promise<Record<string, string>>
  /** `host:port` the gateway's 8080 is published on. */
  gatewayAddress: () => Promise<string>
  /** Its containers, networks and volumes removed, and the images its current Compose file names. */
  down: () => Promise<void>
}

/** A Compose project of its own name (tests run side by side), over the given Compose files. */
export function composeProject(name: string, files: string[], env: Record<string, string> = {}): ComposeProject {
  const compose = (...args: string[]) => run('docker-compose', ['-p', name, ...files.flatMap(f => ['-f', f]), ...args], { env: { ...process.env, ...env }, maxBuffer: 16 << 20 })
  const byService = async (format: string): Promise<Record<string, string>> => {
    const { stdout } = await run('docker', ['ps', '--no-trunc', '--filter', `label=com.docker.compose.project=${name}`, '--format', `{{.Label "com.docker.compose.service"}} ${format}`])
    return Object.fromEntries(stdout.trim().split('\n').filter(Boolean).map(line => [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]))
  }
  return {
    name,
    compose,
    containers: () => byService('{{.ID}}'),
    statuses: () => byService('{{.Status}}'),
    gatewayAddress: async () => (await compose('port', 'femto-gateway', '8080')).stdout.trim(),
    down: async () => {
      // `--rmi local` would keep them: every image has a tag of its own (`image:`).
      await compose('down', '--volumes', '--rmi', 'all', '--remove-orphans', '-t', '5').catch(() => {})
    },
  }
}

/** Runs `docker-compose up` with its logs in the error when it fails (a container that never got healthy). */
export async function composeUp(project: ComposeProject, ...args: string[]): Promise<void> {
  await project.compose('up', ...args).catch(async (error) => {
    const logs = await project.compose('logs', '--no-color', '--tail', '40').catch(e => e)
    throw new Error(`${error.message}\n--- docker-compose logs ---\n${logs.stdout ?? ''}${logs.stderr ?? ''}`)
  })
}

/** Removes images by name (those of an earlier deploy that `down` no longer knows of); missing ones are fine. */
export async function removeImages(names: string[]): Promise<void> {
  if (names.length > 0)
    await run('docker', ['image', 'rm', '-f', ...names]).catch(() => {})
}

/**
 * `femto deploy <dist>`, then `docker-compose up -d --build <up...>`, as the deploying guide
 * says: the Compose project and the gateway's address. The images the deploy names are added to
 * `images`, for the test to remove.
 */
export async function deployAndUp(dist: string, name: string, images: Set<string>, ...up: string[]): Promise<{ project: ComposeProject, gateway: string }> {
  await promisify(execFile)(process.execPath, [join(import.meta.dirname, '../../dist/cli.js'), 'deploy', dist])
  const file = join(dist, 'deploy/docker-compose.yml')
  const compose = parse(readFileSync(file, 'utf8')) as { services: Record<string, { image: string }> }
  for (const service of Object.values(compose.services))
    images.add(service.image)
  const project = composeProject(name, [file])
  await composeUp(project, '-d', '--build', ...up)
  return { project, gateway: `http://${await project.gatewayAddress()}` }
}
