import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { sourceShape } from './source-shape'

/**
 * Everything a derivation read from the disk, and every place it looked and found nothing: what
 * its schemas depend on besides TypeScript and this plugin. A later build whose disk still
 * answers every one of these the same way would derive the same schemas.
 */
export interface Dependencies {
  /** Path → hash of the text TypeScript read (sources, declarations, package.json, tsconfig files). */
  files: Record<string, string>
  /**
   * Path → hash of the project's own TypeScript modules as the schemas see them (source-shape.ts):
   * a module whose text changed only where no type can see still gives the same schemas.
   */
  shapes: Record<string, string>
  /** Files looked for and not found (module resolution, the tsconfig search). */
  absent: string[]
  /** Folders looked for and not found (a path may be probed as both: `events.js` the file, then as a folder). */
  absentFolders: string[]
  /** Folder → its subfolders, where TypeScript listed them (automatic `@types` packages). */
  folders: Record<string, string[]>
}

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('base64url')
}

/** As TypeScript's `sys.readFile` gives it for UTF-8: without the byte order mark. */
function readText(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8')
    return text.charCodeAt(0) === 0xFEFF ? text.slice(1) : text
  }
  catch {
    return undefined
  }
}

export function subfoldersOf(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true })
      .filter(entry => entry.isDirectory() || (entry.isSymbolicLink() && statSync(join(path, entry.name), { throwIfNoEntry: false })?.isDirectory()))
      .map(entry => entry.name)
      .sort()
  }
  catch {
    return []
  }
}

/** Collects what one derivation depends on, as it happens. */
export class DependencyRecorder {
  private readonly files = new Map<string, string>()
  private readonly shapes = new Map<string, string>()
  private readonly absent = new Set<string>()
  private readonly absentFolders = new Set<string>()
  private readonly folders = new Map<string, string[]>()

  /** `text` is what was read, not the file now: an edit during the build must not be taken for the state derived from. */
  read(path: string, text: string | undefined): void {
    if (text === undefined)
      return void this.absent.add(path)
    const hash = hashText(text)
    // Read again by the next program of the same derivation (derive.ts): its shape is known.
    if (this.files.get(path) === hash)
      return
    this.files.set(path, hash)
    const shape = sourceShape(path, text)
    if (shape === undefined)
      this.shapes.delete(path)
    else
      this.shapes.set(path, hashText(shape))
  }

  exists(path: string, found: boolean): void {
    if (!found)
      this.absent.add(path)
  }

  folderExists(path: string, found: boolean): void {
    if (!found)
      this.absentFolders.add(path)
  }

  listed(path: string): void {
    if (!this.folders.has(path))
      this.folders.set(path, subfoldersOf(path))
  }

  result(): Dependencies {
    // A path both read and looked for in vain (created meanwhile) is simply stale at the next check.
    return {
      files: Object.fromEntries([...this.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      shapes: Object.fromEntries([...this.shapes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      absent: [...this.absent].sort(),
      absentFolders: [...this.absentFolders].sort(),
      folders: Object.fromEntries(this.folders),
    }
  }
}

function sameShape(deps: Dependencies, path: string, text: string): boolean {
  const was = deps.shapes[path]
  if (was === undefined)
    return false
  const shape = sourceShape(path, text)
  return shape !== undefined && hashText(shape) === was
}

/** The first dependency that no longer holds, or undefined when all do. */
export function staleDependency(deps: Dependencies): string | undefined {
  for (const [path, hash] of Object.entries(deps.files)) {
    const text = readText(path)
    if (text === undefined)
      return `${path} was deleted`
    if (hashText(text) !== hash && !sameShape(deps, path, text))
      return `${path} changed`
  }
  // As TypeScript's `sys` answers: a file exists if it is a file, a folder if it is a folder.
  for (const path of deps.absent) {
    if (statSync(path, { throwIfNoEntry: false })?.isFile())
      return `${path} was created`
  }
  for (const path of deps.absentFolders) {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory())
      return `the folder ${path} was created`
  }
  for (const [path, names] of Object.entries(deps.folders)) {
    if (subfoldersOf(path).join('/') !== names.join('/'))
      return `the folders in ${path} changed`
  }
  return undefined
}
