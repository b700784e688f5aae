// The least that deriving the functions' types with TypeScript's checker can add to a build, for
// the shop's floor row (issue 19): on a worker thread started by the config hook, TypeScript
// loaded from a V8 code cache (as the plugin loads it), one program of the functions' modules with
// the ES libs only and no `@types`, and each exported function's parameter and return types.
// The plugin does more (every property of every type, Node's `@types`, the schemas and checks), so
// this is a lower bound of its cold build, not a copy of it.
import { Worker } from 'node:worker_threads'

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { createRequire, Module } = require('node:module')
const { readFileSync, statSync, writeFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { dirname, join } = require('node:path')
const { Script } = require('node:vm')
const { root, modules } = workerData
const file = createRequire(join(root, 'package.json')).resolve('typescript')
const stat = statSync(file)
const entry = join(tmpdir(), 'femto-bench-types-floor-' + stat.size + '-' + Math.round(stat.mtimeMs) + '.cache')
let cachedData
try { cachedData = readFileSync(entry) } catch {}
const script = new Script(Module.wrap(readFileSync(file).toString('utf8')), { filename: file, cachedData })
const loaded = { exports: {} }
script.runInThisContext().call(loaded.exports, loaded.exports, createRequire(file), loaded, file, dirname(file))
const ts = loaded.exports
const program = ts.createProgram(modules, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, strict: true, noEmit: true, lib: ['lib.es2023.d.ts'], types: [] })
const checker = program.getTypeChecker()
let signatures = 0
for (const name of modules) {
  const source = program.getSourceFile(name)
  for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(source))) {
    for (const signature of checker.getTypeOfSymbolAtLocation(exported, source).getCallSignatures()) {
      for (const parameter of signature.getParameters())
        checker.typeToString(checker.getTypeOfSymbolAtLocation(parameter, source))
      checker.typeToString(signature.getReturnType())
      signatures++
    }
  }
}
// After the program, as the plugin writes its entry: it then holds the parser and checker compiled.
if (cachedData === undefined || script.cachedDataRejected)
  writeFileSync(entry, script.createCachedData())
parentPort.postMessage(signatures)
`

/** A Vite plugin: the worker starts at the first config load of a `vite build`; the client's build ends only when it is done. */
export function typesFloor(root, modules) {
  const key = Symbol.for('femto-bench.types-floor')
  return {
    name: 'femto-bench:types-floor',
    config(_config, env) {
      // Vite loads the config once per environment: one worker per build.
      if (env.command === 'build')
        globalThis[key] ??= run(root, modules)
    },
    async buildEnd() {
      const signatures = await globalThis[key]
      if (!(signatures > 0))
        throw new Error(`the types floor found no function signatures in ${modules.join(', ')}`)
    },
  }
}

function run(root, modules) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { root, modules } })
    worker.once('message', (signatures) => {
      resolve(signatures)
      void worker.terminate()
    })
    worker.once('error', reject)
  })
}
