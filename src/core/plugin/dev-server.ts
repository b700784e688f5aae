import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ErrorPayload, RunnableDevEnvironment, ViteDevServer } from 'vite'
import type { FemtoContext } from '../registry/context'
import { readFile } from 'node:fs/promises'
import { DEV_ROOT } from '../../runtime/server/files'
import { isUsageError } from '../transform/errors'
import { mayHaveDirective, SCRIPT_ID } from '../transform/precheck'
import { DEV_ENTRY, DEV_ENVIRONMENT } from './dev-ids'

/** Generates the dev entry from what the registry holds now. */
export async function devEntrySource(ctx: FemtoContext): Promise<string> {
  const plan = ctx.plan()
  const [{ describeFunctions }, { devEntry }, { openApiDocument }] = await Promise.all([import('../build/build-servers'), import('../build/entries'), import('../build/openapi')])
  const { validators, documented } = await describeFunctions(ctx, plan)
  // The document the services get: how form fields become arguments (a File, a FormData, a number) is read from it.
  return devEntry(plan.functions, ctx.options, { validators, authModule: ctx.authModule, openapi: openApiDocument(documented, { title: 'femto functions' }) })
}

/** A usage error's line without its code frame; any other error's message. */
function messageOf(error: unknown): string {
  return isUsageError(error) ? error.headline : (error as Error).message ?? String(error)
}

/** What the rest of the plugin may wait for in the dev server's handling of edits. */
export interface DevEdits {
  /** Every edit the watcher has told is taken: its analysis done, and schemas it may change forgotten. */
  taken: () => Promise<void>
}

/** chokidar reports a file's changes at most once in this many ms (its `change` throttle). */
const WATCHER_THROTTLE_MS = 50

/** How long the dev server waits without a call before it loads TypeScript for later edits. */
const WARM_AFTER_QUIET_MS = 1500

/**
 * `vite dev` answers `{basePath}/{name}` itself: Vite's module runner imports the functions
 * (every one hosted, so calls between them stay in-process) and the runtime's request path
 * serves them. An edit takes effect on the next call; an edit that breaks the directive rules
 * is reported in the terminal and the browser's error overlay, and answered 500 until fixed.
 */
export function serveFunctionsInDev(server: ViteDevServer, ctx: FemtoContext, scanned: () => Promise<unknown>, rescan: () => Promise<unknown>): DevEdits {
  // Request logs read better than JSON lines in a terminal; FEMTO_LOG_FORMAT=json keeps them JSON.
  process.env.FEMTO_LOG_FORMAT ??= 'pretty'
  // femtoFile() finds run-time files from the project root, whatever the working directory
  // (runtime/files.ts; a symbol of the process, as the functions run in it).
  ;(globalThis as Record<symbol, unknown>)[DEV_ROOT] = ctx.root
  const prefix = `${ctx.options.basePath}/`
  let stale = false
  // Bumped when the entry must be generated again (functions or their types changed): the runner
  // imports it under a new id, while the functions' own modules stay evaluated.
  let generation = 0
  let broken: unknown
  // TypeScript is loaded for the first edit that needs it once calls have paused (see below).
  let warmed = false
  let warmTimer: NodeJS.Timeout | undefined
  let overlaid = false

  // Each error is reported once, when it appears, not again for every call it fails.
  let shown: unknown
  const show = (error: unknown): void => {
    if (error === shown)
      return
    shown = error
    // Not only ours: an error of Vite's own (a module the runner could not transform) has a frame too.
    const { frame, id, loc, stack } = error as Partial<ErrorPayload['err']>
    const message = messageOf(error)
    server.config.logger.error(`${message}${frame ? `\n\n${frame}\n` : ''}`, { timestamp: true, error: error as Error })
    server.ws.send({ type: 'error', err: { message, stack: isUsageError(error) ? '' : stack ?? '', id, frame, loc, plugin: 'unplugin-femto' } })
    overlaid = true
  }

  // What the last edit of each file read, and when. A save is a truncate, then a write, and the
  // watcher reports a file's changes at most once per 50 ms (chokidar's throttle): when the first
  // event is read between the two, the write's is never reported, and the functions would be those
  // of an empty file until the next save (seen under load: a function gone after a save). The same
  // goes for a second save within 50 ms of the first's event (seen in CI: a fix saved right after
  // the broken edit it fixes, never served). A call reads those files again first and takes any
  // that differ as a new edit; a file is let go only once a save after its last event would be told.
  const read = new Map<string, { text: string, at: number }>()

  const analyzeEdit = async (file: string, code: string): Promise<void> => {
    const known = [...ctx.registry.values()].some(fn => fn.id === file)
    if (!known && !mayHaveDirective(code))
      return
    // A new, changed or removed function: the entry that lists them is generated again.
    generation++
    try {
      // Registers what the file declares now (and forgets what it no longer does).
      await ctx.analyze(file, code)
      // The scan at start stopped at a broken file, so the files after it were never read: a good
      // edit scans again, and the dev server recovers without a restart (or reports what is still broken).
      if (await scanned()) {
        const error = await rescan()
        if (error)
          throw error
      }
      broken = undefined
      shown = undefined
      if (overlaid) {
        overlaid = false
        // An empty update clears Vite's error overlay without reloading the page.
        server.ws.send({ type: 'update', updates: [] })
      }
    }
    catch (error) {
      broken = error
      show(error)
    }
  }

  const onEdit = async (file: string): Promise<void> => {
    // Only edits the functions can see re-import them: module state (caches, connections) lives
    // across edits to the app's client code, styles or docs.
    if (server.environments[DEV_ENVIRONMENT]?.moduleGraph.getModulesByFile(file)?.size)
      stale = true
    if (!SCRIPT_ID.test(file) || ctx.isExcluded(file))
      return
    // A type that parameters use may live in any script, imported with `import type` (so not in
    // the module graph): the argument checks are derived again, from the types as they are now.
    if (ctx.options.types) {
      ctx.forgetSchemas()
      generation++
    }
    const text = await readFile(file, 'utf8').catch(() => undefined)
    const code = text ?? ''
    if (text === undefined)
      read.delete(file)
    else
      read.set(file, { text, at: performance.now() })
    // Made on the analysis thread beside the analysis below; the next call waits for both.
    const shaped = ctx.options.types && text !== undefined ? ctx.learnShape(file, text) : undefined
    try {
      await analyzeEdit(file, code)
    }
    finally {
      await shaped
    }
  }

  // A directive broken before the dev server started is reported at once, not at the first call.
  void scanned().then((error) => {
    if (error)
      show(error)
  })
  // Edits are taken one at a time, in the order they were saved: a slow analysis of an earlier
  // save (chokidar may report one save twice) must not finish last and undo a later fix.
  let edits: Promise<void> = Promise.resolve()
  for (const event of ['add', 'change', 'unlink'])
    server.watcher.on(event, (file: string) => void (edits = edits.then(() => onEdit(file)).catch(show)))

  // Files whose last read differs from what they hold now are reported changed, before a call.
  const settle = async (): Promise<void> => {
    for (const [file, { text: code, at }] of [...read]) {
      const now = await readFile(file, 'utf8').catch(() => undefined)
      // An empty file may still be in the middle of its save, and a save within the watcher's
      // throttle may still come unreported: looked at again on the next call.
      if (now === undefined || (now === code && now !== '' && performance.now() - at > WATCHER_THROTTLE_MS * 2))
        read.delete(file)
      // The change the watcher never told: to Vite too, whose transform of the file is stale as well.
      else if (now !== code)
        server.watcher.emit('change', file)
    }
    await edits
  }

  server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    const path = req.url?.split('?')[0]
    if (path !== ctx.options.basePath && !path?.startsWith(prefix))
      return next()
    void (async () => {
      const environment = server.environments[DEV_ENVIRONMENT] as RunnableDevEnvironment
      // A call made just after a save sees that save.
      await edits
      if (read.size > 0)
        await settle()
      const scanError = await scanned()
      if (scanError || broken)
        throw scanError ?? broken
      if (stale) {
        stale = false
        // Evaluated again on the next import: the edited modules, what imports them, and the entry.
        environment.runner.clearCache()
      }
      const handler = (await environment.runner.import(`${DEV_ENTRY}?generation=${generation}`)).default as (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
      handler(req, res, next)
      // TypeScript for the first edit that changes a type, loaded once calls have paused for a
      // moment: it holds the event loop for about a second, and a call or an edit of a body
      // (which the schema cache serves) should not wait for it.
      if (!warmed) {
        clearTimeout(warmTimer)
        warmTimer = setTimeout(() => {
          warmed = true
          void ctx.warmTypes().catch(() => {})
        }, WARM_AFTER_QUIET_MS).unref()
      }
    })().catch((error: unknown) => {
      show(error)
      if (res.headersSent)
        return res.destroy()
      const message = messageOf(error)
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: `the dev server could not load the femto functions: ${message}` } }))
    })
  })
  return {
    // Vite calls plugins' hotUpdate from its own listener of the watcher, before ours has queued the edit.
    taken: () => new Promise(resolve => setImmediate(resolve)).then(() => edits),
  }
}
