import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { baseName, removeDeadUploads, spoolPrefix } from '../../src/runtime/server/form'
import { spooledFile } from '../../src/runtime/server/spooled-file'

describe('removeDeadUploads', () => {
  let dir: string
  let before: string | undefined
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'femto-spool-'))
    before = process.env.FEMTO_UPLOAD_DIR
    process.env.FEMTO_UPLOAD_DIR = dir
  })
  afterEach(() => {
    if (before === undefined)
      delete process.env.FEMTO_UPLOAD_DIR
    else
      process.env.FEMTO_UPLOAD_DIR = before
    rmSync(dir, { recursive: true, force: true })
  })

  it('removes the uploads an earlier process with this pid left (a restarted container\'s service is pid 1 again), and keeps this process\'s', async () => {
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    const ours = `${spoolPrefix()}1`
    const otherTag = spoolPrefix().endsWith('-00000000-') ? '11111111' : '00000000'
    const predecessor = `femto-upload-${tag}-${process.pid}-${otherTag}-1`
    // Named as before the process tag: `<pid>-<n>-<random>`.
    const older = `femto-upload-${tag}-${process.pid}-3-0a1b2c3d`
    const parent = `femto-upload-${tag}-${process.ppid}-${otherTag}-1`
    const notOurs = ['femto-upload-notes.txt', `femto-upload-${tag}-x-1`, 'other-file']
    for (const name of [ours, predecessor, older, parent, ...notOurs])
      writeFileSync(join(dir, name), '')
    expect(await removeDeadUploads()).toBe(2)
    expect(readdirSync(dir).sort()).toEqual([ours, parent, ...notOurs].sort())
  })
})

describe('baseName', () => {
  it('keeps only the last segment of a client\'s file name', () => {
    expect(['../../etc/passwd', 'C:\\Users\\a\\cv.pdf', 'a/b\\c.txt', 'dir/..', '.', '', 'ünï ✓.txt'].map(baseName))
      .toEqual(['passwd', 'cv.pdf', 'c.txt', '', '', '', 'ünï ✓.txt'])
  })
})

describe('spooledFile', () => {
  it('closes its descriptor when a read fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'femto-spooled-'))
    const held = (): number => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === dir
      }
      catch {
        return false
      }
    }).length
    try {
      // A folder opens, and its reads fail (EISDIR).
      const file = spooledFile(new Blob(['x']), 'x', 'text/plain', dir)
      await expect(file.text()).resolves.toBe('x')
      await expect(new Response(file.stream()).arrayBuffer()).rejects.toThrow(/EISDIR/)
      expect(held()).toBe(0)
    }
    finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
