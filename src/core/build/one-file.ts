import type { RolldownBuild, RolldownLog } from 'rolldown'

/** Circular imports and `eval` in third-party code are not the user's to fix in a service's build. */
export function isThirdPartyNoise(log: RolldownLog): boolean {
  return log.code === 'CIRCULAR_DEPENDENCY' || log.code === 'EVAL'
}

/**
 * A service's bundle as the one standalone file it ships as, with the same output settings in
 * every build path (JSDoc dropped, module markers and licences kept). `failure` is the build
 * error the bundler only warned about (an import nothing resolved), thrown instead of a file
 * that could not start.
 */
export async function generateOneFile(bundler: RolldownBuild, failure: () => Error | undefined): Promise<string> {
  try {
    const { output } = await bundler.generate({ format: 'esm', codeSplitting: false, sourcemap: false, comments: { jsdoc: false, annotation: true, legal: true } })
    const error = failure()
    if (error)
      throw error
    return output[0].code
  }
  finally {
    await bundler.close()
  }
}
