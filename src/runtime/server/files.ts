/** Set to `true` by the build in service bundles and `router.js`; undefined in source. */
declare const __FEMTO_SERVICE_BUNDLE__: boolean | undefined

/**
 * Where `vite dev` puts the project root, in its own process (where it runs the functions): the
 * dev server's root need not be its working directory (`vite dev app/`, `root` in the config).
 */
export const DEV_ROOT = Symbol.for('unplugin-femto.devRoot')

/**
 * The absolute path of a run-time file listed in the `files` option, by its path from the project
 * root: `readFileSync(femtoFile('config/prices.json'))`.
 *
 * In a built service (and `router.js`) it is resolved next to the bundle, where the build copied
 * it (in an image: next to the bundle there); under `vite dev`, against the dev server's root; in
 * other source that runs unbuilt (tests), against the working directory, which is the project
 * root there. `FEMTO_FILES_DIR` overrides them all.
 * Node only; it does not check that the file exists.
 */
export function femtoFile(path: string): string {
  const proc = (globalThis as { process?: { env: Record<string, string | undefined>, cwd: () => string } }).process
  if (!proc)
    throw new Error('femtoFile: run-time files are read on the server, not in a browser')
  const base = proc.env.FEMTO_FILES_DIR
    || (typeof __FEMTO_SERVICE_BUNDLE__ !== 'undefined' && __FEMTO_SERVICE_BUNDLE__
      ? pathOfUrl(folderOf(import.meta.url))
      : (globalThis as { [DEV_ROOT]?: string })[DEV_ROOT] ?? proc.cwd())
  return `${base.replace(/[\\/]+$/, '')}/${path.replace(/^\.?[\\/]+/, '')}`
}

// Not `new URL('.', import.meta.url)`: webpack and Rspack read that as an import of this folder,
// which resolves to ../server.ts and so would put the whole server runtime in a browser bundle.
function folderOf(url: string): URL {
  return new URL(url.slice(0, url.lastIndexOf('/') + 1))
}

function pathOfUrl(url: URL): string {
  const path = decodeURIComponent(url.pathname)
  // file:///C:/app/ on Windows.
  return /^\/[a-z]:\//i.test(path) ? path.slice(1) : path
}
