// Everything that parses code: Babel alone costs ~400 ms to load, so the registry imports this
// module on the first module that holds the directive and is not in the analysis cache, and a
// build without the directive (or with nothing changed) never does. Editing (transform.ts) needs
// only the analysis and magic-string.
export { analyzeModule } from './analyze'
export { FemtoUsageError } from './usage-error'
