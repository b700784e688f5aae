// What `npm run bench` measures of the plugin's internals, run in its own process: bench/lib/workloads.mjs
// bundles this entry into bench/.work, so neither the package nor its tests carry it.
export { measureLogger, measureTrace } from './log-trace'
export { measureMetrics, metricsInputs } from './metrics'
export { measureSchemaDerivation } from './schema-derivation'
export { measureValidator } from './validator'
