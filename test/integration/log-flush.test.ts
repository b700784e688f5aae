// The logger's flush in a real process: lines written to a pipe must all arrive before an
// immediate process.exit, which an in-process test cannot show.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { rolldown } from 'rolldown'
import { describe, expect, it } from 'vitest'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

describe('request logs on standard output', () => {
  it('on standard output, flush writes before an immediate exit, through a pipe', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'femto-log-'))
    try {
      const bundle = await rolldown({ input: fileURLToPath(new URL('../../src/runtime/server/log.ts', import.meta.url)), platform: 'node', logLevel: 'silent' })
      await bundle.write({ file: join(dir, 'log.mjs'), format: 'esm' })
      await writeFile(join(dir, 'main.mjs'), `
        import { createLogger } from './log.mjs'
        const logger = createLogger({ service: 'svc' })
        for (let i = 0; i < 2000; i++) logger.request({ service: 'svc', function: 'f', requestId: 'r' + i, traceId: '${TRACE_ID}', spanId: '${PARENT_ID}', status: 200, durationMs: 1 })
        logger.flush()
        process.exit(0)
      `)
      const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'main.mjs')], { env: { ...process.env, FEMTO_LOG_LEVEL: '', FEMTO_LOG_FORMAT: '' }, maxBuffer: 64 * 1024 * 1024 })
      const lines = stdout.split('\n').filter(Boolean).map(line => JSON.parse(line))
      expect(lines).toHaveLength(2000)
      expect(lines.at(-1)).toMatchObject({ service: 'svc', requestId: 'r1999' })
    }
    finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
