import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { createBuilder } from 'vite'
import { afterAll, describe, expect, it } from 'vitest'

// What `npm i -D unplugin-femto` brings into a project: the files the package publishes, and
// the dependencies npm installs with it.

const ROOT = join(import.meta.dirname, '../..')
const run = promisify(execFile)
const outDirs: string[] = []

afterAll(() => {
  for (const dir of outDirs)
    rmSync(dir, { recursive: true, force: true })
})

interface LockedPackage { dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>, hasInstallScript?: boolean }

describe('the published package', () => {
  it('brings no dependency with an install script', () => {
    const packages: Record<string, LockedPackage> = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages
    // Where Node (and npm) find `name` from a package's folder: the nearest node_modules up from it.
    const lookup = (from: string, name: string): string | undefined => {
      for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
        const path = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`
        if (packages[path])
          return path
        if (!dir)
          return undefined
      }
    }
    const installed = new Set<string>()
    const visit = (path: string): void => {
      const { dependencies = {}, optionalDependencies = {} } = packages[path]!
      for (const name of Object.keys({ ...dependencies, ...optionalDependencies })) {
        const found = lookup(path, name)
        if (found && !installed.has(found)) {
          installed.add(found)
          visit(found)
        }
      }
    }
    visit('')
    expect([...installed]).toEqual(expect.arrayContaining(['node_modules/unplugin', 'node_modules/typescript', 'node_modules/undici']))
    expect([...installed].filter(path => packages[path]!.hasInstallScript)).toEqual([])
  })

  it('publishes the docs page\'s Swagger UI files with their licence', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 })
    const files: string[] = JSON.parse(stdout)[0].files.map((file: { path: string }) => file.path)
    expect(files).toEqual(expect.arrayContaining(['dist/swagger-ui/swagger-ui-bundle.js', 'dist/swagger-ui/swagger-ui.css', 'dist/swagger-ui/LICENSE', 'dist/swagger-ui/NOTICE']))
  })

  it('loads no parser or type checker with its Vite entry: a project without the directive never needs them', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'femto-entry-')), 'loaded.txt')
    outDirs.push(dirname(log))
    // Every module Node resolves, recorded by a resolve hook (on its own thread, hence the file).
    const hooks = `import { appendFileSync } from 'node:fs'\nexport async function resolve(specifier, context, next) { const found = await next(specifier, context); appendFileSync(${JSON.stringify(log)}, found.url + '\\n'); return found }\n`
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)})`
    const main = `const { default: femto } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/vite.js')).href)}); femto({ summary: false })`
    await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', main], { cwd: ROOT })
    const loaded = readFileSync(log, 'utf8')
    expect(loaded).toContain('/dist/vite.js')
    expect(loaded).toContain('/unplugin/')
    // rolldown's `parseAst` came with the services' build (its run-time import check), when the entry imported vite-services.ts.
    for (const heavy of ['/@babel/', '/typescript/', '/rolldown/'])
      expect(loaded, heavy).not.toContain(heavy)
  })

  it('writes them beside the services of a build through its published entry', async () => {
    const out = mkdtempSync(join(tmpdir(), 'femto-package-'))
    outDirs.push(out)
    // The published entry, as a project imports it (`unplugin-femto/vite`).
    const { default: femto } = await import(pathToFileURL(join(ROOT, 'dist/vite.js')).href) as typeof import('../../src/vite')
    const builder = await createBuilder({ root: join(import.meta.dirname, '../fixtures/app'), configFile: false, logLevel: 'silent', plugins: [femto({ summary: false, types: false, outDir: out })], build: { outDir: out, emptyOutDir: true } })
    await builder.buildApp()
    const swaggerUi = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
    for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css'])
      expect(readFileSync(join(out, 'servers/docs', name)).equals(readFileSync(join(swaggerUi, name))), name).toBe(true)
  }, 120_000)
})
