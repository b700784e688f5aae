// Real Docker for the deploy tests. No image registry is reachable from these machines, so the
// base images the generated Dockerfiles name are replaced by local stand-ins built from this
// machine's own binaries: `docker import` of a root filesystem holding node (for services) or
// Debian's nginx with the official image's template step (for the gateway). The deploy output
// keeps the real images' names as defaults; tests pass the stand-ins' names as deploy settings.
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export const NODE_STANDIN = 'femto-standin/node:20'
export const NGINX_STANDIN = 'femto-standin/nginx-unprivileged:1.27'

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

// As nginxinc/nginx-unprivileged: runs as uid 101, pid and temp files in /tmp, conf.d included,
// and the entrypoint's template step, which substitutes only the variables that are defined.
const NGINX_CONF = `worker_processes 1;
pid /tmp/nginx.pid;
error_log /dev/stderr notice;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  sendfile on;
  keepalive_timeout 65;
  include /etc/nginx/conf.d/*.conf;
}
`
const NGINX_ENTRYPOINT = `#!/bin/sh
set -e
defined=$(env | cut -d= -f1 | sed 's/^/\${/; s/$/}/' | tr '\\n' ' ')
for template in /etc/nginx/templates/*.template; do
  [ -f "$template" ] || continue
  out="/etc/nginx/conf.d/$(basename "$template" .template)"
  envsubst "$defined" < "$template" > "$out"
done
exec "$@"
`

function buildNginxStandin(name: string): void {
  const root = mkdtempSync(join(tmpdir(), 'femto-nginx-rootfs-'))
  try {
    copyBinaries(root, ['/usr/sbin/nginx', '/usr/bin/envsubst'])
    addBusybox(root, ['wget', 'env', 'cut', 'sed', 'tr', 'basename', 'cat'])
    mkdirSync(join(root, 'etc/nginx/conf.d'), { recursive: true })
    mkdirSync(join(root, 'etc/nginx/templates'), { recursive: true })
    copyFileSync('/etc/nginx/mime.types', join(root, 'etc/nginx/mime.types'))
    writeFileSync(join(root, 'etc/nginx/nginx.conf'), NGINX_CONF)
    writeFileSync(join(root, 'docker-entrypoint.sh'), NGINX_ENTRYPOINT)
    chmodSync(join(root, 'docker-entrypoint.sh'), 0o755)
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\n')
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnginx:x:101:\n')
    // nginx wants its compiled-in prefix and log paths to exist, even when the config overrides them.
    for (const dir of ['tmp', 'var/log/nginx', 'var/lib/nginx', 'usr/share/nginx/html', 'run'])
      mkdirSync(join(root, dir), { recursive: true })
    chmodSync(join(root, 'tmp'), 0o1777)
    // The unprivileged image lets its user write the generated config and the html root.
    for (const dir of ['etc/nginx/conf.d', 'usr/share/nginx/html', 'var/log/nginx', 'var/lib/nginx'])
      chmodSync(join(root, dir), 0o777)
    importRootfs(root, name, [
      'ENV PATH=/usr/sbin:/usr/bin:/bin',
      'USER 101',
      'EXPOSE 8080',
      'ENTRYPOINT ["/docker-entrypoint.sh"]',
      'CMD ["nginx", "-g", "daemon off;"]',
    ])
  }
  finally {
    rmSync(root, { recursive: true, force: true })
  }
}

/** Builds the stand-in base images once per machine (a later call finds them). */
export function ensureStandinImages(): { node: string, nginx: string } {
  if (!existsSync('/usr/sbin/nginx') || !existsSync('/usr/bin/busybox'))
    throw new Error('the Docker tests need Debian\'s nginx and busybox-static on this machine (.ci/run installs them)')
  if (!imageExists(NODE_STANDIN))
    buildNodeStandin(NODE_STANDIN)
  if (!imageExists(NGINX_STANDIN))
    buildNginxStandin(NGINX_STANDIN)
  return { node: NODE_STANDIN, nginx: NGINX_STANDIN }
}
