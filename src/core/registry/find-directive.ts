import type { ResolvedOptions } from './options'
import { readFileSync } from 'node:fs'
import { mayHaveDirective } from '../transform/precheck'

/**
 * Whether any module under `include` holds the directive, by its text alone: a build that has
 * none must cost what a build without the plugin costs, so it skips the services' environment.
 */
export async function projectHasDirective(root: string, options: Pick<ResolvedOptions, 'include' | 'exclude'>): Promise<boolean> {
  const { glob } = await import('tinyglobby')
  const files = await glob(options.include, { cwd: root, ignore: options.exclude, absolute: true })
  // Synchronous reads, as in the scan: for many small files they are much faster here.
  return files.some(file => mayHaveDirective(readFileSync(file, 'utf8')))
}
