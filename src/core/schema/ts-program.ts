import type { DependencyRecorder } from './dependencies'
import { statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import ts from 'typescript'
import { isBrowserLib, isNodeTypes, SERVER_WEB_TYPES } from './ts-libs'

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

/** Programs that left out the Node types the project's tsconfig would have loaded. */
const withoutNodeTypes = new WeakSet<ts.Program>()

/**
 * One program for every femto function of a build: parsing the libs and binding the globals is
 * most of the cost, and it is paid once. Its roots are only the modules holding femto functions;
 * whatever they import is loaded on demand, the rest of the project never is.
 */
export function createSchemaProgram(files: string[], root?: string, recorder?: DependencyRecorder, libs: SchemaLibs = 'server'): ts.Program {
  const projectOptions = compilerOptionsFor(root ?? dirname(files[0] ?? process.cwd()), files, recorder)
  // Without `types`, TypeScript loads every package under node_modules/@types (a test runner's
  // globals, a bundler's, ...): a server function's types reach at most Node's, and the packages
  // its modules import are loaded anyway. Node's are ~2.9 MB of declarations, a third of a cold
  // build, which most functions' types never use: `server` leaves them out too.
  const leftOut = libs !== 'full' && projectOptions.types === undefined
  const options = leftOut ? { ...projectOptions, types: libs === 'server-node' ? ['node'] : [] } : projectOptions
  const host = schemaCompilerHost(options, libs)
  const program = ts.createProgram({ rootNames: files, options, host: recorder ? recordingHost(host, options, recorder) : host })
  // A package's declarations may load Node's anyway (`/// <reference types="node" />`): then
  // the program is the one `server-node` would make.
  if (leftOut && libs === 'server' && !program.getSourceFiles().some(file => isNodeTypes(file.fileName)))
    withoutNodeTypes.add(program)
  if (recorder) {
    // Declaration files parsed by an earlier program of this process were not read again.
    const libDirectory = dirname(host.getDefaultLibFileName(options))
    for (const file of program.getSourceFiles()) {
      if (!file.fileName.startsWith(libDirectory))
        recorder.read(file.fileName, file.text)
    }
  }
  return program
}

/**
 * Whether `program` left out the `@types/node` that the `server-node` program of the same
 * project loads: not when the tsconfig names its `types` itself, nor when a package's
 * declarations loaded Node's anyway (both programs are then the same).
 */
export function leavesOutNodeTypes(program: ts.Program): boolean {
  return withoutNodeTypes.has(program)
}

/**
 * Notes every answer the disk gives the program: files read, and files and folders looked for
 * and missing (a module created where resolution looked would be found next time). TypeScript's
 * own libs are left out: they change only with its version, which the cache key holds.
 */
function recordingHost(host: ts.CompilerHost, options: ts.CompilerOptions, recorder: DependencyRecorder): ts.CompilerHost {
  const libDirectory = dirname(host.getDefaultLibFileName(options))
  const own = (path: string): boolean => !path.startsWith(libDirectory)
  const { readFile, fileExists, directoryExists, getDirectories } = host
  host.readFile = (path) => {
    const text = readFile.call(host, path)
    if (own(path))
      recorder.read(path, text)
    return text
  }
  host.fileExists = (path) => {
    const found = fileExists.call(host, path)
    if (own(path))
      recorder.exists(path, found)
    return found
  }
  if (directoryExists) {
    host.directoryExists = (path) => {
      const found = directoryExists.call(host, path)
      recorder.folderExists(path, found)
      return found
    }
  }
  if (getDirectories) {
    host.getDirectories = (path) => {
      recorder.listed(path)
      return getDirectories.call(host, path)
    }
  }
  return host
}

export function compilerOptionsFor(searchFrom: string, files: string[], recorder?: DependencyRecorder): ts.CompilerOptions {
  const options = projectOptions(searchFrom, files, recorder) ?? ts.convertCompilerOptionsFromJson(DEFAULT_OPTIONS, searchFrom).options
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

function projectOptions(searchFrom: string, files: string[], recorder?: DependencyRecorder): ts.CompilerOptions | undefined {
  const fileExists = (path: string): boolean => {
    const found = ts.sys.fileExists(path)
    recorder?.exists(path, found)
    return found
  }
  const readFile = (path: string): string | undefined => {
    const text = ts.sys.readFile(path)
    recorder?.read(path, text)
    return text
  }
  // A tsconfig.json created nearer the root later would be found: the search is recorded too.
  const configPath = ts.findConfigFile(searchFrom, fileExists, 'tsconfig.json')
  const config = configPath && parseConfig(configPath, false, fileExists, readFile)
  if (!config)
    return undefined
  // A solution-style tsconfig.json (as in Vite's templates) holds only references: the options
  // that apply are those of the referenced project that includes the femto modules.
  const wanted = new Set(files.map(file => resolve(file)))
  for (const reference of config.projectReferences ?? []) {
    const referenced = parseConfig(ts.resolveProjectReferencePath(reference), true, fileExists, readFile)
    if (referenced?.fileNames.some(file => wanted.has(resolve(file))))
      return referenced.options
  }
  return config.options
}

/** Without `listFiles`, the config's globs are not expanded: the roots are the femto modules anyway. */
function parseConfig(configPath: string, listFiles: boolean, fileExists: (path: string) => boolean, readFile: (path: string) => string | undefined): ts.ParsedCommandLine | undefined {
  const { config, error } = ts.readConfigFile(configPath, readFile)
  if (error)
    return undefined
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    fileExists,
    readFile,
    // Which files a referenced project includes decides whose options apply; a file added to
    // it later is a new root anyway, so a new cache key.
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

/**
 * `server`: the browser's libs stood in for by the few web types a server function's types can
 * use (src/core/schema/ts-libs.ts), and none of the automatic `@types` packages; `server-node`:
 * the same, with Node's; `full`: the libs and types the tsconfig names, as they are. A `types`
 * the tsconfig sets is kept in all three.
 */
export type SchemaLibs = 'server' | 'server-node' | 'full'

const serverWebTypes = new Map<string, ts.SourceFile>()

function schemaCompilerHost(options: ts.CompilerOptions, libs: SchemaLibs): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true)
  const libDirectory = dirname(host.getDefaultLibFileName(options))
  const parse = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
    if (libs !== 'full' && fileName.startsWith(libDirectory) && isBrowserLib(fileName))
      return standInLib(fileName, languageVersionOrOptions)
    const isLib = fileName.startsWith(libDirectory) || isNodeTypes(fileName)
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

/** `lib.dom.d.ts` becomes the web types a server meets; the other browser libs, nothing. */
function standInLib(fileName: string, languageVersionOrOptions: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile {
  let file = serverWebTypes.get(fileName)
  if (!file) {
    const text = /[\\/]lib\.dom\.d\.ts$/.test(fileName) ? SERVER_WEB_TYPES : ''
    file = ts.createSourceFile(fileName, text, languageVersionOrOptions)
    serverWebTypes.set(fileName, file)
  }
  return file
}

/** Forgets the parsed declaration files, so the next program starts cold (for measurements). */
export function clearDeclarationCache(): void {
  declarationCache.clear()
  serverWebTypes.clear()
}
