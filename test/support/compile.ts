// webpack's and Rspack's compilers share this shape: run once, close, fail with the stats' errors.
interface Compiler {
  run: (done: (error: Error | null, stats?: { hasErrors: () => boolean, toString: (o: object) => string }) => void) => void
  close: (done: () => void) => void
}

export function compile(compiler: Compiler | null): Promise<void> {
  return new Promise((resolve, reject) => {
    compiler!.run((error, stats) => {
      compiler!.close(() => {
        if (error || stats?.hasErrors())
          reject(error ?? new Error(stats!.toString({ all: false, errors: true })))
        else
          resolve()
      })
    })
  })
}
