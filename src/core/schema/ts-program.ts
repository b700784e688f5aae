import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import ts from 'typescript'

/**
 * What a project without a tsconfig.json most likely means. `types: []`: TypeScript would
 * otherwise load every `@types` package it finds, which costs more than the rest of the program.
 */
const DEFAULT_OPTIONS = {
  strict: true,
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  lib: ['ES2023', 'DOM'],
  types: [],
  esModuleInterop: true,
  resolveJsonModule: true,
}

/**
 * One program for every femto function of a build: parsing the libs and binding the globals is
 * most of the cost, and it is paid once. Its roots are only the modules holding femto functions;
 * whatever they import is loaded on demand, the rest of the project never is.
 */
export function createSchemaProgram(files: string[], root?: string): ts.Program {
  const options = compilerOptionsFor(root ?? dirname(files[0] ?? process.cwd()), files)
  return ts.createProgram({ rootNames: files, options, host: schemaCompilerHost(options) })
}

export function compilerOptionsFor(searchFrom: string, files: string[]): ts.CompilerOptions {
  const options = projectOptions(searchFrom, files) ?? ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, searchFrom).options
  return {
    ...options,
    // Only the checker is used: nothing is emitted and no diagnostics are asked for.
    noEmit: true,
    skipLibCheck: true,
    allowJs: options.allowJs || files.some(file => /\.[cm]?jsx?$/.test(file)),
    incremental: false,
    composite: false,
    tsBuildInfoFile: undefined,
    declaration: false,
    declarationMap: false,
    emitDeclarationOnly: false,
    sourceMap: false,
    inlineSourceMap: false,
  }
}

function projectOptions(searchFrom: string, files: string[]): ts.CompilerOptions | undefined {
  const configPath = ts.findConfigFile(searchFrom, ts.sys.fileExists, 'tsconfig.json')
  const config = configPath && parseConfig(configPath, false)
  if (!config)
    return undefined
  // A solution-style tsconfig.json (as in Vite's templates) holds only references: the options
  // that apply are those of the referenced project that includes the femto modules.
  const wanted = new Set(files.map(file => resolve(file)))
  for (const reference of config.projectReferences ?? []) {
    const referenced = parseConfig(ts.resolveProjectReferencePath(reference), true)
    if (referenced?.fileNames.some(file => wanted.has(resolve(file))))
      return referenced.options
  }
  return config.options
}

/** Without `listFiles`, the config's globs are not expanded: the roots are the femto modules anyway. */
function parseConfig(configPath: string, listFiles: boolean): ts.ParsedCommandLine | undefined {
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile)
  if (error)
    return undefined
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: listFiles ? ts.sys.readDirectory : () => [],
  }
  return ts.parseJsonConfigFileContent(config, host, dirname(configPath), undefined, configPath)
}

interface CachedDeclarations { settings: string, mtimeMs: number | undefined, file: ts.SourceFile }

/**
 * Declaration files of TypeScript's libs and of `node_modules`, parsed once per process: a
 * watch-mode rebuild then parses only the project's own modules. Programs may share source
 * files; the language service does the same.
 */
const declarationCache = new Map<string, CachedDeclarations>()

function schemaCompilerHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true)
  const libDirectory = dirname(host.getDefaultLibFileName(options))
  const parse = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    const isLib = fileName.startsWith(libDirectory) || /[\\/]node_modules[\\/]@types[\\/]node[\\/]/.test(fileName)
    if (!isLib && !(/[\\/]node_modules[\\/]/.test(fileName) && /\.d\.[cm]?ts$/.test(fileName)))
      return parse(fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile)
    const settings = typeof languageVersionOrOptions === 'object' ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions }
    const settingsKey = `${settings.languageVersion}:${settings.impliedNodeFormat}`
    const mtimeMs = statSync(fileName, { throwIfNoEntry: false })?.mtimeMs
    const cached = declarationCache.get(fileName)
    if (cached && cached.settings === settingsKey && cached.mtimeMs === mtimeMs && !shouldCreateNewSourceFile)
      return cached.file
    // Nothing reads the documentation of built-in types, and lib.dom.d.ts is mostly documentation.
    const file = parse(fileName, isLib ? { ...settings, jsDocParsingMode: ts.JSDocParsingMode.ParseNone } : settings, onError, shouldCreateNewSourceFile)
    if (file)
      declarationCache.set(fileName, { settings: settingsKey, mtimeMs, file })
    return file
  }
  return host
}

/** Forgets the parsed declaration files, so the next program starts cold (for measurements). */
export function clearDeclarationCache(): void {
  declarationCache.clear()
}
