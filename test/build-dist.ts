import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

// Vitest globalSetup of the projects that use the package as it ships, from dist/ (the femto
// CLI, `unplugin-femto/*` in fixtures and the playground, the benchmarks): they build it first,
// so that they pass on a fresh clone, and never run a dist/ older than the sources. The unit
// project has none: it needs no dist/.

const ROOT = join(import.meta.dirname, '..')
/** What a build is made from. */
const SOURCES = ['src', 'package.json', 'tsdown.config.ts']
const BUILD = Symbol.for('unplugin-femto.test.build-dist')

/** Modification times of every file under a path. */
function mtimes(path: string): number[] {
  const stat = statSync(path)
  if (!stat.isDirectory())
    return [stat.mtimeMs]
  return readdirSync(path).flatMap(name => mtimes(join(path, name)))
}

/** dist/ holds a build at least as new as every source (e.g. `npm test` has just built it). */
function upToDate(): boolean {
  const dist = join(ROOT, 'dist')
  if (!existsSync(join(dist, 'cli.js')) || !existsSync(join(dist, 'testing.d.ts')))
    return false
  return Math.min(...mtimes(dist)) >= Math.max(...SOURCES.flatMap(source => mtimes(join(ROOT, source))))
}

function build(): void {
  if (upToDate())
    return
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' })
  }
  catch (error) {
    const { stdout, stderr } = error as { stdout?: string, stderr?: string }
    throw new Error(`npm run build failed, and these tests run the package from dist/:\n${stdout ?? ''}${stderr ?? ''}`)
  }
}

export default function setup(): void {
  // Several projects name this setup; one run builds once.
  const state = globalThis as { [BUILD]?: true }
  if (state[BUILD])
    return
  build()
  state[BUILD] = true
}
