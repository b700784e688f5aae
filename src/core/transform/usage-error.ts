import { codeFrameColumns } from '@babel/code-frame'

export interface SourcePosition {
  /** 1-based */
  line: number
  /** 0-based, as Rollup and Babel count */
  column: number
}

/**
 * "Your mistake": a use of the directive the plugin cannot turn into a service.
 * Carries what bundlers need to print a code frame (`id`, `loc`, `frame`).
 * Only the engine builds one, so Babel's code frame loads with the engine, never before it.
 */
export class FemtoUsageError extends Error {
  override name = 'FemtoUsageError'
  readonly id: string
  readonly loc: SourcePosition & { file: string }
  readonly frame: string
  /** The message without its code frame, for bundlers that print `frame` themselves. */
  readonly headline: string

  constructor(reason: string, file: string, code: string, pos: SourcePosition, displayFile = file) {
    const frame = codeFrameColumns(code, { start: { line: pos.line, column: pos.column + 1 } }, { highlightCode: false })
    const headline = `[unplugin-femto] ${displayFile}:${pos.line}:${pos.column + 1}: ${reason}`
    super(`${headline}\n\n${frame}\n`)
    this.headline = headline
    this.id = file
    this.loc = { file, line: pos.line, column: pos.column }
    this.frame = frame
  }
}
