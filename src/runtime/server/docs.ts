import type { ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The docs page: Swagger UI (swagger-ui-dist), copied by the build into `<serversDir>/docs/`
 * and served from there, never from a CDN (machines may be offline).
 */
export const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
}

/**
 * The page at `…/docs`. Its URLs are relative, so it works wherever it is mounted: `docs/…`
 * for the assets and `openapi.json` for the document, both beside `docs`.
 */
export function docsPage(title: string): string {
  const safe = title.replace(/[<>&"]/g, c => `&#${c.charCodeAt(0)};`)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${safe}</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#docs', tryItOutEnabled: true, deepLinking: true })
</script>
</body>
</html>
`
}

/** Answers `GET docs/<asset>` from the folder the build copied the assets to; false for any other name. */
export async function sendDocsAsset(res: ServerResponse, dir: string, name: string): Promise<boolean> {
  const type = Object.hasOwn(DOCS_ASSETS, name) ? DOCS_ASSETS[name] : undefined
  if (!type)
    return false
  const body = await readFile(join(dir, name))
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'public, max-age=3600' })
  res.end(body)
  return true
}

/** The document with the origin-relative prefix its routes are served under (a router's mount path). */
export function documentAt(document: Record<string, unknown>, prefix: string): string {
  return JSON.stringify(prefix ? { ...document, servers: [{ url: prefix }] } : document)
}
