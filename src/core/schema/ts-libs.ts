import { isBuiltin } from 'node:module'
import ts from 'typescript'

/**
 * The browser's libs (`DOM`, `DOM.Iterable`, `WebWorker`, ...), which Vite's tsconfig templates
 * and TypeScript's default libs bring in. `lib.dom.d.ts` alone is half of what a schema program
 * parses and binds (~1 MB of declarations), yet the types of a function that runs on a server
 * meet only a few of its names: those declared in {@link SERVER_WEB_TYPES}.
 */
const BROWSER_LIB = /^lib\.(?:dom|webworker|scripthost)(?:\.[a-z]+)?\.d\.ts$/

export function isBrowserLib(fileName: string): boolean {
  return BROWSER_LIB.test(fileName.slice(fileName.lastIndexOf('/') + 1))
}

/**
 * What stands in for `lib.dom.d.ts` in a schema program: the web types a femto function's
 * parameters and result may use (bytes, forms, URLs), which the schema derivation knows by name.
 * Node has them all as globals. Their members are there for the checker, not for the schemas.
 */
export const SERVER_WEB_TYPES = `
interface Blob {
  readonly size: number;
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  slice(start?: number, end?: number, contentType?: string): Blob;
  stream(): ReadableStream<Uint8Array>;
  text(): Promise<string>;
}
declare var Blob: { prototype: Blob; new(parts?: any[], options?: { type?: string }): Blob };
interface File extends Blob {
  readonly lastModified: number;
  readonly name: string;
}
declare var File: { prototype: File; new(parts: any[], name: string, options?: { type?: string, lastModified?: number }): File };
type FormDataEntryValue = File | string;
interface FormData {
  append(name: string, value: string | Blob, fileName?: string): void;
  delete(name: string): void;
  get(name: string): FormDataEntryValue | null;
  getAll(name: string): FormDataEntryValue[];
  has(name: string): boolean;
  set(name: string, value: string | Blob, fileName?: string): void;
  forEach(callback: (value: FormDataEntryValue, key: string, parent: FormData) => void): void;
  entries(): IterableIterator<[string, FormDataEntryValue]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<FormDataEntryValue>;
  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]>;
}
declare var FormData: { prototype: FormData; new(): FormData };
interface ReadableStreamReadResult<T> { done: boolean; value?: T }
interface ReadableStreamDefaultReader<R = any> {
  read(): Promise<ReadableStreamReadResult<R>>;
  releaseLock(): void;
  cancel(reason?: any): Promise<void>;
}
interface ReadableStream<R = any> {
  readonly locked: boolean;
  cancel(reason?: any): Promise<void>;
  getReader(): ReadableStreamDefaultReader<R>;
  [Symbol.asyncIterator](): AsyncIterableIterator<R>;
}
declare var ReadableStream: { prototype: ReadableStream; new<R = any>(source?: any): ReadableStream<R> };
interface URLSearchParams {
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string): boolean;
  toString(): string;
}
declare var URLSearchParams: { prototype: URLSearchParams; new(init?: string | Record<string, string> | [string, string][]): URLSearchParams };
interface URL {
  hash: string;
  host: string;
  hostname: string;
  href: string;
  readonly origin: string;
  password: string;
  pathname: string;
  port: string;
  protocol: string;
  search: string;
  readonly searchParams: URLSearchParams;
  username: string;
  toJSON(): string;
  toString(): string;
}
declare var URL: { prototype: URL; new(url: string | URL, base?: string | URL): URL };
`

/**
 * A name a type in the program uses that no declaration it has provides, as when a shared types
 * module mentions `HTMLElement`: the program that stood in for the browser's libs would give it
 * no schema, so the derivation starts again with the real ones. Only names are resolved, nothing
 * is type-checked.
 */
/** Names the checker declares itself, so that no file does. */
const CHECKER_OWN_NAMES = new Set(['globalThis', 'undefined'])

export function nameMissingDeclaration(program: ts.Program): string | undefined {
  const checker = program.getTypeChecker()
  const missing = (name: ts.EntityName | ts.Expression): string | undefined => {
    let first: ts.Node = name
    while (ts.isQualifiedName(first) || ts.isPropertyAccessExpression(first))
      first = ts.isQualifiedName(first) ? first.left : first.expression
    if (!ts.isIdentifier(first) || CHECKER_OWN_NAMES.has(first.text))
      return undefined
    // A name nothing declares resolves to a symbol of the checker's own, without declarations.
    return checker.getSymbolAtLocation(first)?.declarations?.length ? undefined : first.text
  }
  const visit = (node: ts.Node): string | undefined => {
    if (ts.isTypeReferenceNode(node))
      return missing(node.typeName) ?? ts.forEachChild(node, visit)
    if (ts.isExpressionWithTypeArguments(node))
      return missing(node.expression) ?? ts.forEachChild(node, visit)
    if (ts.isTypeQueryNode(node))
      return missing(node.exprName) ?? ts.forEachChild(node, visit)
    return ts.forEachChild(node, visit)
  }
  // The project's own files: packages' declarations may name what only the browser declares
  // (@types/node mentions `BufferSource`), and resolving every name of theirs would cost more
  // than the browser's libs save; a type a function gets from a package that does is rare.
  for (const file of program.getSourceFiles()) {
    const own = !program.isSourceFileDefaultLibrary(file) && !program.isSourceFileFromExternalLibrary(file) && !/[\\/]node_modules[\\/]/.test(file.fileName)
    const name = own ? visit(file) : undefined
    if (name)
      return name
  }
  return undefined
}

/** What TypeScript's binder notes of a file's modules (internal, stable since TypeScript 2). */
interface ModuleNames {
  imports?: readonly ts.StringLiteralLike[]
  moduleAugmentations?: readonly (ts.StringLiteral | ts.Identifier)[]
  ambientModuleNames?: readonly string[]
}

const NODE_TYPES = /[\\/]node_modules[\\/]@types[\\/]node[\\/]/

export function isNodeTypes(fileName: string): boolean {
  return NODE_TYPES.test(fileName)
}

/**
 * A Node module (`node:http`, `fs`) that a file of the program imports, augments or declares,
 * when Node's types are not part of it: only they declare those modules, and a package of the
 * same name (`buffer`, `events`) would stand in for them. Packages' declarations count too: one
 * that imports `stream` without referring to Node's types relies on the project's loading them.
 */
export function nodeModuleNamed(program: ts.Program): string | undefined {
  for (const file of program.getSourceFiles()) {
    if (program.isSourceFileDefaultLibrary(file) || isNodeTypes(file.fileName))
      continue
    const { imports, moduleAugmentations, ambientModuleNames } = file as ts.SourceFile & ModuleNames
    // Should TypeScript stop keeping these, every program would count as naming one.
    if (imports === undefined)
      return '(unknown)'
    const names = [...imports.map(name => name.text), ...(moduleAugmentations ?? []).map(name => name.text), ...(ambientModuleNames ?? [])]
    const found = names.find(name => isBuiltin(name))
    if (found !== undefined)
      return found
  }
  return undefined
}
