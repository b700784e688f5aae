import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

// The femto command as it ships (dist/cli.js): its argument checks, before it runs anything.
const CLI = join(import.meta.dirname, '../../dist/cli.js')

describe('the femto command line', () => {
  const femto = (...args: string[]): { status: number | null, stderr: string } => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' })

  it('refuses a flag of another command rather than ignoring it', () => {
    expect(femto('up', '--changed')).toMatchObject({ status: 1, stderr: expect.stringContaining('femto: up does not take --changed') })
    expect(femto('deploy', '--port', '3')).toMatchObject({ status: 1, stderr: expect.stringContaining('femto: deploy does not take --port') })
  })

  it('names a bad deploy flag as it was typed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-cli-'))
    mkdirSync(join(dir, 'servers'))
    writeFileSync(join(dir, 'servers/femto.json'), JSON.stringify({ version: 1, basePath: '/femto', mode: 'split', services: [], functions: [], router: {} }))
    expect(femto('deploy', dir, '--namespace', 'My_Shop')).toMatchObject({ status: 1, stderr: 'femto: --namespace: \'My_Shop\' is not a Kubernetes namespace (lowercase letters, digits and -)\n' })
    // That manifest has no `changes`, as one from before deploy files existed.
    expect(femto('deploy', dir)).toMatchObject({ status: 1, stderr: expect.stringContaining('femto deploy: this build\'s femto.json was written by an older unplugin-femto') })
  })

  it('says an unknown option on one line, with the usage', () => {
    const answer = femto('up', '--prot', '3000')
    expect(answer.status).toBe(1)
    expect(answer.stderr.split('\n')[0]).toBe('femto: unknown option --prot')
    expect(answer.stderr).toContain('Usage:')
  })

  it('points at femto\'s folder when given the client build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-cli-'))
    mkdirSync(join(dir, 'servers'))
    mkdirSync(join(dir, 'client'))
    writeFileSync(join(dir, 'servers/femto.json'), '{}')
    for (const command of ['up', 'deploy']) {
      const answer = spawnSync(process.execPath, [CLI, command, 'client'], { cwd: dir, encoding: 'utf8' })
      expect([answer.status, answer.stderr], command).toEqual([1, `femto: femto ${command}: no servers/femto.json in ${join(dir, 'client')}. It is the client build: pass femto's folder, its parent (\`femto ${command} .\`)\n`])
    }
    // A folder with no build anywhere near it: build first.
    expect(femto('up', join(dir, 'client', 'nothing'))).toMatchObject({ status: 1, stderr: expect.stringContaining('Build the app first') })
  })
})
