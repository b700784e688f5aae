// Everything that parses or edits code: Babel alone costs ~400 ms to load, so the context
// imports this module on the first module that holds the directive, and a build without the
// directive never does.
export { analyzeModule } from './analyze'
export { transformModule } from './transform'
export { FemtoUsageError } from './usage-error'
