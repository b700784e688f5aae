import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const run = promisify(execFile)

// The benchmark harness runs once, briefly, so that it never rots. Its numbers are not checked:
// timing belongs in bench/RESULTS.md, never in a test. Alone it takes about 70 s; beside another
// test file building Docker images on a loaded two-core machine, it once took over 280 s.
it('npm run bench -- --quick measures every section and writes a report', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'femto-bench-')), 'RESULTS.md')
  await run(process.execPath, [join(import.meta.dirname, '../../bench/run.mjs'), '--quick', '--out', out], { timeout: 480_000 })
  const report = readFileSync(out, 'utf8')
  for (const heading of ['## Goals', '## Throughput and latency', '## Cold start', '## Memory', '## Bundle bytes', '## Web-standard handler', '## Stub cost', '## Types', '## Observability', '## Fuzz', '## Build', '## Before / after'])
    expect(report).toContain(heading)
  for (const row of ['generated service `add.js`', 'with a JSON log line per request', 'generated `router.js` in Express 5', 'service-to-service stub', 'browser stub', 'prom-client', 'Vite with unplugin-femto', 'do-nothing `unplugin` plugin (floor)', '`add.js` minified (floor)', 'floor of a rebuild', 'floor of a cold build', 'through a plain proxy'])
    expect(report).toContain(row)
  // Every goal got a measured number: a ratio, the fuzz run's count of 5xx answers, or the dev
  // server's milliseconds (issue 19 sets those goals in ms: a first call has no baseline to divide by).
  const goals = report.split('## Goals')[1]!.split('\n## ')[0]!.split('\n').filter(l => l.startsWith('| ') && !l.startsWith('| goal') && !l.startsWith('| ---'))
  expect(goals.length).toBeGreaterThanOrEqual(9)
  for (const line of goals)
    expect(line).toMatch(/\| \d+(?:\.\d+)?× \||\| fuzz: .* \| \d+ (?:of \d+|5xx) \||\| shop dev: .* \| \d+ ms \|/)
  // The goals that have a floor measured beside them show it.
  for (const goal of ['trivial service bundle, gzip', 'project without the directive', 'shop: cold with types vs plain Vite, time', 'shop: cold with types vs plain Vite, peak memory', 'shop: rebuild'])
    expect(goals.find(line => line.includes(goal))).toMatch(/\| \d+(?:\.\d+)?× \|$/)
}, 500_000)
