import type { IncomingMessage, ServerResponse } from 'node:http'
import { createReadStream, statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { pipeline } from 'node:stream'
import { CLIENT_DIR } from '../core/plugin/output-dirs'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
}

/**
 * The client build of femto's output folder: `<outDir>/client` (Vite's build, and the layout the
 * docs give the other bundlers); else the folder itself, with what femto wrote there for the servers hidden (a
 * build from before the client moved out of it).
 */
export function clientFolder(outDir: string, hidden: string[]): { staticDir: string, hidden: string[] } {
  const own = join(outDir, CLIENT_DIR)
  return statSync(own, { throwIfNoEntry: false })?.isDirectory() ? { staticDir: own, hidden: [] } : { staticDir: outDir, hidden }
}

/**
 * Serves the client build, never what sits beside it for servers only (`servers/`, `deploy/`,
 * `femto.env`). Paths without an extension fall back to `index.html`, as single-page apps expect.
 */
export function createStaticHandler(root: string, hidden: string[]) {
  const hiddenPaths = hidden.map(name => join(root, name))
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!)
    let file = normalize(join(root, url))
    if ((file !== root && !file.startsWith(root + sep)) || hiddenPaths.some(path => file === path || file.startsWith(path + sep)))
      return notFound(res)
    let info = await stat(file).catch(() => undefined)
    if (info?.isDirectory()) {
      file = join(file, 'index.html')
      info = await stat(file).catch(() => undefined)
    }
    if (!info && !extname(url)) {
      file = join(root, 'index.html')
      info = await stat(file).catch(() => undefined)
    }
    if (!info?.isFile())
      return notFound(res)
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
    })
    if (req.method === 'HEAD')
      return void res.end()
    // A file removed under us (a rebuild) or a caller gone: end quietly, never crash the gateway.
    pipeline(createReadStream(file), res, () => {})
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
  res.end('not found')
}
