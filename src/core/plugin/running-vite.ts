import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

type Vite = typeof import('vite')

/** `…/node_modules/vite/dist/node/chunks/x.js` or `…/vite/dist/node/index.js` → the package folder. */
const VITE_FILE = /(?:file:\/\/)?(\/[^\s()]*?[\\/]vite)[\\/]dist[\\/]node[\\/]/

/**
 * The Vite whose server is calling: a framework may run its own copy (Astro 5 brings Vite 6) beside
 * the app's. An environment made by another copy's classes does not fit that server, so the copy
 * is the one in the caller's stack, else the `vite` this package resolves.
 */
export async function runningVite(): Promise<Vite> {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 30
  const stack = new Error('where').stack ?? ''
  Error.stackTraceLimit = limit
  const root = VITE_FILE.exec(stack)?.[1]
  const index = root && join(root, 'dist/node/index.js')
  if (index && existsSync(index))
    return await import(pathToFileURL(index).href) as Vite
  return import('vite')
}
