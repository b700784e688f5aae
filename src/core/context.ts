import type { FemtoFunction, ModuleAnalysis } from './analyze'
import type { Options, ResolvedOptions } from './options'
import type { TransformResult } from './transform'
import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import picomatch from 'picomatch'
import { glob } from 'tinyglobby'
import { analyzeModule, mayHaveDirective } from './analyze'
import { FemtoUsageError } from './errors'
import { upperSnake } from './names'
import { resolveOptions } from './options'
import { assignPorts } from './ports'
import { transformModule } from './transform'

export interface RegisteredFunction extends FemtoFunction {
  /** Absolute path of the module that declares it. */
  id: string
  /** The same, relative to the project root, as users read it. */
  file: string
  route: string
}

export interface ServiceUnit {
  /** Service name: the function's in split mode, `monolith` in monolith mode. */
  name: string
  /** File name under the servers folder. */
  file: string
  port: number
  functions: RegisteredFunction[]
}

export interface Plan {
  services: ServiceUnit[]
  functions: RegisteredFunction[]
  serviceOf: Map<string, ServiceUnit>
}

export type FemtoContext = ReturnType<typeof createContext>

/**
 * State of one plugin instance: which femto functions exist, where, and how each side of the
 * build sees their modules. Knows no bundler.
 */
export function createContext(rawOptions: Options | undefined) {
  const options: ResolvedOptions = resolveOptions(rawOptions)
  let root = process.cwd()
  const analyses = new Map<string, { code: string, analysis: ModuleAnalysis }>()
  const registry = new Map<string, RegisteredFunction>()

  const display = (id: string): string => relative(root, id).replace(/\\/g, '/') || id
  const excluded = picomatch(options.exclude, { dot: true })
  /** Outside `exclude`: the scan skips it and no transform touches it. */
  const isExcluded = (id: string): boolean => excluded(display(id.replace(/\?.*$/, '')))

  function analyze(id: string, code: string): ModuleAnalysis {
    const cached = analyses.get(id)
    if (cached && cached.code === code)
      return cached.analysis
    const analysis = analyzeModule(id, code, { displayId: display(id) })
    register(id, code, analysis)
    analyses.set(id, { code, analysis })
    return analysis
  }

  function register(id: string, code: string, analysis: ModuleAnalysis): void {
    for (const [name, fn] of registry) {
      if (fn.id === id)
        registry.delete(name)
    }
    for (const fn of analysis.functions) {
      const fail = (reason: string): never => {
        throw new FemtoUsageError(`${reason}; export one under another name, e.g. \`export { ${fn.localName ?? fn.name} as ${fn.name}2 }\``, id, code, { line: fn.line, column: fn.column }, display(id))
      }
      for (const other of registry.values()) {
        const at = `${other.file}:${other.line}:${other.column + 1}`
        if (other.name === fn.name)
          fail(`two femto functions are named '${fn.name}': this one and the one at ${at}. Service names must be unique across the project`)
        // Names become file names (which may be case-insensitive) and FEMTO_URL_<NAME> variables.
        if (other.name.toLowerCase() === fn.name.toLowerCase())
          fail(`'${fn.name}' and '${other.name}' (at ${at}) differ only in case, so their service files would collide on a case-insensitive disk`)
        if (upperSnake(other.name) === upperSnake(fn.name))
          fail(`'${fn.name}' and '${other.name}' (at ${at}) would share the variable FEMTO_URL_${upperSnake(fn.name)}`)
      }
      registry.set(fn.name, { ...fn, id, file: display(id), route: `${options.basePath}/${fn.name}` })
    }
  }

  /** Finds every femto function under `include`, whether or not any other code imports it. */
  async function scan(): Promise<void> {
    const files = await glob(options.include, { cwd: root, ignore: options.exclude, absolute: true })
    const sources = await Promise.all(files.sort().map(async file => [file, await readFile(file, 'utf8')] as const))
    for (const [file, code] of sources) {
      if (mayHaveDirective(code))
        analyze(file, code)
    }
  }

  function plan(): Plan {
    const functions = [...registry.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    let services: ServiceUnit[]
    if (options.mode === 'monolith') {
      services = [{ name: 'monolith', file: 'monolith.js', port: options.basePort, functions }]
    }
    else {
      const ports = assignPorts(functions.map(f => f.name), options.basePort)
      services = functions.map(fn => ({ name: fn.name, file: `${fn.name}.js`, port: ports.get(fn.name)!, functions: [fn] }))
    }
    const serviceOf = new Map<string, ServiceUnit>()
    for (const unit of services) {
      for (const fn of unit.functions)
        serviceOf.set(fn.name, unit)
    }
    return { services, functions, serviceOf }
  }

  /** Browser side: every femto function becomes a `fetch` stub. */
  function transformForClient(id: string, code: string): TransformResult | undefined {
    const analysis = analyze(id, code)
    return transformModule(code, analysis, {
      hosted: () => false,
      stub: { from: 'unplugin-femto/runtime', helper: 'callFemto', meta: fn => ({ name: fn.name, route: `${options.basePath}/${fn.name}` }) },
    })
  }

  /**
   * Service side: functions of `hosted` keep their bodies; calls to any other femto function go
   * over HTTP to the service that hosts it.
   */
  function transformForServer(id: string, code: string, hosted: Set<string>, current: Plan | undefined): TransformResult | undefined {
    const analysis = analyze(id, code)
    return transformModule(code, analysis, {
      hosted: fn => hosted.has(fn.name),
      stub: {
        from: 'unplugin-femto/runtime/server',
        helper: 'callService',
        meta: (fn) => {
          const unit = current?.serviceOf.get(fn.name)
          return {
            name: fn.name,
            route: `${options.basePath}/${fn.name}`,
            port: unit?.port ?? options.basePort,
            env: `FEMTO_URL_${upperSnake(unit?.name ?? fn.name)}`,
          }
        },
      },
    })
  }

  return {
    options,
    get root() {
      return root
    },
    setRoot(dir: string) {
      root = dir
    },
    registry,
    analyze,
    isExcluded,
    scan,
    plan,
    transformForClient,
    transformForServer,
  }
}
