import type { ChildProcess } from 'node:child_process'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join, relative, resolve, sep } from 'node:path'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The docs site, built by VitePress's own CLI into a temporary folder, served by a tiny static
// server on a port from the OS, and every page opened in Debian's Chromium: no page may throw or
// log an error, and every internal link must reach a page, and its #anchor an element on it.

const ROOT = join(import.meta.dirname, '../..')
const DOCS = join(ROOT, 'docs')
const VITEPRESS = join(ROOT, 'node_modules/vitepress/bin/vitepress.js')

let outDir: string
let build: ChildProcess | undefined
let server: Server | undefined
let origin: string
let browser: Browser | undefined

/** Every Markdown page of the site, as the path VitePress serves it at (`index.md` → its folder). */
function sourcePages(dir = DOCS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.'))
      return []
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return sourcePages(path)
    return entry.name.endsWith('.md') ? [canonical(`/${relative(DOCS, path).split(sep).join('/').replace(/\.md$/, '.html')}`)] : []
  })
}

/** `/design/index.html` and `/design/` are one page. */
function canonical(pathname: string): string {
  return pathname.replace(/(^|\/)index\.html$/, '$1')
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2', '.png': 'image/png' }

/** A static server of the built site: files as they are, a folder's index.html, else 404. */
function serve(dir: string): Promise<Server> {
  const s = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
    let file = resolve(dir, `.${pathname}`)
    if (pathname.endsWith('/'))
      file = join(file, 'index.html')
    let found = false
    try {
      found = (file === dir || file.startsWith(dir + sep)) && statSync(file).isFile()
    }
    catch {}
    if (!found) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}`)
      return
    }
    // VitePress's assets are named by their content: cached as a host would, so each page's
    // visit does not fetch and compile the site's JavaScript again (~25% of the test's time).
    const immutable = pathname.startsWith('/assets/') ? { 'cache-control': 'public, max-age=31536000, immutable' } : {}
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...immutable }).end(readFileSync(file))
  })
  return new Promise(done => s.listen(0, '127.0.0.1', () => done(s)))
}

/** What one page holds: the ids a link's #anchor may name, and every link on it. */
interface Visit { ids: Set<string>, links: string[], problems: string[] }

/**
 * A browser tab that visits pages one after another: a new tab per page cost ~0.7 s each, most of
 * this test's time. What goes wrong is noted against the page being visited.
 */
async function openTab(): Promise<(pathname: string) => Promise<Visit>> {
  const page = await browser!.newPage()
  let problems: string[] = []
  page.on('pageerror', error => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error')
      problems.push(`console error: ${message.text()}${message.location().url ? ` (${message.location().url.replace(origin, '')})` : ''}`)
  })
  page.on('response', (response) => {
    if (response.url().startsWith(origin) && response.status() >= 400)
      problems.push(`${response.status()} for ${response.url().slice(origin.length)}`)
  })
  page.on('requestfailed', (request) => {
    // VitePress prefetches the pages a page links to; leaving the page aborts what is still loading.
    if (request.url().startsWith(origin) && request.failure()?.errorText !== 'net::ERR_ABORTED')
      problems.push(`request failed: ${request.url().slice(origin.length)} (${request.failure()?.errorText})`)
  })
  return (pathname) => {
    problems = []
    return visit(page, pathname, problems)
  }
}

async function visit(page: Page, pathname: string, problems: string[]): Promise<Visit> {
  const response = await page.goto(origin + pathname, { waitUntil: 'networkidle' })
  if (response?.status() !== 200)
    problems.push(`answered ${response?.status()}`)
  // Every page's layout holds #VPContent. On a loaded CI machine one page was once read with no id
  // at all while its links were there (mid-hydration); the ids are read once the layout is whole.
  await page.waitForSelector('#VPContent', { state: 'attached', timeout: 60_000 }).catch(() => problems.push('no #VPContent within 60 s'))
  const { ids, links } = await page.evaluate(() => ({
    ids: Array.from(document.querySelectorAll('[id], a[name]'), element => element.id || element.getAttribute('name')!),
    links: Array.from(document.querySelectorAll('a[href]'), a => (a as HTMLAnchorElement).href),
  }))
  return { ids: new Set(ids), links, problems }
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'femto-docs-'))
  // VitePress bundles its own Vite; its CLI in a process of its own keeps it apart from Vitest's.
  build = spawn(process.execPath, [VITEPRESS, 'build', 'docs', '--outDir', outDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  build.stdout!.on('data', (chunk) => {
    output += chunk
  })
  build.stderr!.on('data', (chunk) => {
    output += chunk
  })
  const code = await new Promise<number | null>(done => build!.once('exit', done))
  if (code !== 0)
    throw new Error(`vitepress build failed (exit ${code}):\n${output}`)
  server = await serve(outDir)
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  server?.closeAllConnections()
  await new Promise(done => (server ? server.close(done) : done(undefined)))
  if (build?.pid && build.exitCode === null && build.signalCode === null)
    process.kill(-build.pid, 'SIGKILL')
  if (outDir)
    rmSync(outDir, { recursive: true, force: true })
})

describe('the docs site', () => {
  it('has the options reference the JSDoc of Options gives', async () => {
    // The committed docs/reference/options.md is generated; a JSDoc edit must come with it.
    const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/docs-options.mjs'), '--check'], { cwd: ROOT })
    expect(stdout).toMatch(/is up to date/)
  }, 60_000)

  it('opens every page in Chromium without an error, and every internal link and #anchor exists', async () => {
    const pages = sourcePages()
    const built = new Set<string>()
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory())
          walk(join(dir, entry.name))
        else if (entry.name.endsWith('.html') && entry.name !== '404.html')
          built.add(canonical(`/${relative(outDir, join(dir, entry.name)).split(sep).join('/')}`))
      }
    }
    walk(outDir)
    expect([...built].sort()).toEqual([...pages].sort())
    expect(pages.length).toBeGreaterThan(20)

    // Four tabs at a time: two cores, and most of a visit is waiting for the network to settle.
    const visits = new Map<string, Visit>()
    const queue = [...pages]
    await Promise.all(Array.from({ length: 4 }, async () => {
      const visitInTab = await openTab()
      for (let pathname = queue.shift(); pathname !== undefined; pathname = queue.shift())
        visits.set(pathname, await visitInTab(pathname))
    }))

    const problems: string[] = []
    const linkedTo = new Set<string>()
    const others = new Set<string>()
    for (const [pathname, { links, problems: own }] of visits) {
      problems.push(...own.map(problem => `${pathname}: ${problem}`))
      for (const href of links) {
        const url = new URL(href)
        if (url.origin !== origin)
          continue
        const target = canonical(url.pathname)
        if (target !== pathname)
          linkedTo.add(target)
        const visited = visits.get(target)
        if (!visited) {
          if (target.endsWith('.html') || target.endsWith('/'))
            problems.push(`${pathname}: dead link to ${url.pathname}`)
          else
            others.add(target)
          continue
        }
        const anchor = decodeURIComponent(url.hash.slice(1))
        if (anchor !== '' && !visited.ids.has(anchor))
          problems.push(`${pathname}: link to ${url.pathname}${url.hash}, which has no element with id '${anchor}'`)
      }
    }
    // Links to files that are not pages (an icon, a stylesheet): they must be served.
    for (const target of others) {
      const res = await fetch(origin + target)
      if (res.status !== 200)
        problems.push(`a link to ${target} answers ${res.status}`)
    }
    // No page only a search can find.
    for (const pathname of pages) {
      if (pathname !== '/' && !linkedTo.has(pathname))
        problems.push(`${pathname}: no other page links to it`)
    }
    expect(problems).toEqual([])
  }, 300_000)
})
