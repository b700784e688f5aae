import type { Manifest } from './manifest'
import { readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const kb = (bytes: number): string => (bytes >= 1024 ** 2 ? `${+(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} kB`)

/** The build's table of services, like a framework's build summary. */
export async function printSummary(manifest: Manifest, dir: string, log: (message: string) => void): Promise<void> {
  const rows: string[][] = [['service', 'routes', 'port', 'size', 'gzip', 'body limit', 'timeout', 'concurrency', 'retries']]
  const limit = (values: (number | null)[], unit = ''): string => [...new Set(values.map(v => (v == null ? '-' : `${v}${unit}`)))].join(', ')
  for (const service of manifest.services) {
    const code = await readFile(join(dir, service.file))
    const routes = manifest.functions.filter(f => f.service === service.name)
    rows.push([
      service.file,
      routes.map(f => `POST ${f.route}`).join(', '),
      String(service.port),
      kb(code.length),
      kb(gzipSync(code).length),
      [...new Set(routes.map(f => kb(f.policies.bodyLimit)))].join(', '),
      limit(routes.map(f => f.policies.timeoutMs), ' ms'),
      limit(routes.map(f => f.policies.concurrency)),
      [...new Set(routes.map(f => `${f.policies.retries}${f.policies.idempotent ? '' : ' (not idempotent)'}`))].join(', '),
    ])
  }
  const router = await readFile(join(dir, manifest.router.file))
  rows.push([manifest.router.file, `Express router, ${manifest.functions.length} function(s)`, '-', kb(router.length), kb(gzipSync(router).length), '-', '-', '-', '-'])
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
  const lines = rows.map(r => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd())
  log(`\nfemto: ${manifest.services.length} service(s) in ${relative(process.cwd(), dir) || dir} (${manifest.mode} mode)\n  ${lines.join('\n  ')}\n`)
}
