import type { Manifest, ManifestFunction } from './manifest'
import { readFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'

const kb = (bytes: number): string => (bytes >= 1024 ** 2 ? `${+(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} kB`)

/** The build's table of services, like a framework's build summary. */
export async function printSummary(manifest: Manifest, dir: string, log: (message: string) => void): Promise<void> {
  const rows: string[][] = [['service', 'routes', 'port', 'exposure', 'called by', 'size', 'gzip', 'body limit', 'timeout', 'concurrency', 'retries']]
  // Only a build that ships packages beside its bundles has the column (native-ship.ts).
  const shipping = manifest.services.some(s => (s.shipped ?? []).length > 0)
  if (shipping)
    rows[0]!.push('shipped')
  const limit = (values: (number | null)[], unit = ''): string => [...new Set(values.map(v => (v == null ? '-' : `${v}${unit}`)))].join(', ')
  for (const service of manifest.services) {
    const code = await readFile(join(dir, service.file))
    const routes = manifest.functions.filter(f => f.service === service.name)
    rows.push([
      service.file,
      routes.map(f => `POST ${f.route}`).join(', '),
      String(service.port),
      exposureCell(routes),
      callersCell(routes),
      kb(code.length),
      kb(gzipSync(code).length),
      [...new Set(routes.map(f => kb(f.policies.bodyLimit)))].join(', '),
      limit(routes.map(f => f.policies.timeoutMs), ' ms'),
      limit(routes.map(f => f.policies.concurrency)),
      [...new Set(routes.map(f => `${f.policies.retries}${f.policies.idempotent ? '' : ' (not idempotent)'}`))].join(', '),
    ])
    if (shipping)
      rows.at(-1)!.push(await shippedCell(service.native ?? [], service.shipped ?? [], dir))
  }
  const router = await readFile(join(dir, manifest.router.file))
  rows.push([manifest.router.file, `Express router, ${manifest.functions.length} function(s)`, '-', '-', '-', kb(router.length), kb(gzipSync(router).length), '-', '-', '-', '-', ...(shipping ? ['-'] : [])])
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
  const lines = rows.map(r => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd())
  log(`\nfemto: ${manifest.services.length} service(s) in ${relative(process.cwd(), dir) || dir} (${manifest.mode} mode)\n  ${lines.join('\n  ')}\n`)
}

/** `public`, `internal (policy)`; a group whose functions differ names each one's. */
function exposureCell(functions: ManifestFunction[]): string {
  const of = (fn: ManifestFunction): string => `${fn.exposure ?? 'public'}${fn.exposureReason === 'policy' ? ' (policy)' : ''}`
  const cells = new Set(functions.map(of))
  return cells.size === 1 ? [...cells][0]! : functions.map(fn => `${fn.name}: ${of(fn)}`).join(', ')
}

/** The other services that call its functions: `-` when none does. */
function callersCell(functions: ManifestFunction[]): string {
  const callers = [...new Set(functions.flatMap(fn => fn.callers ?? []))].sort()
  return callers.length === 0 ? '-' : callers.join(', ')
}

/** `better-sqlite3 + node_modules/ (24 files, 2.1 MiB)`: what the service needs beside its bundle. */
async function shippedCell(packages: string[], files: string[], dir: string): Promise<string> {
  if (files.length === 0)
    return '-'
  const sizes = await Promise.all(files.map(file => stat(join(dir, file)).then(info => info.size)))
  return `${packages.join(', ')} in node_modules/ (${files.length} files, ${kb(sizes.reduce((a, b) => a + b, 0))})`
}
