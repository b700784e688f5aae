// What `npm run bench` measures of the plugin's internals (built to dist/internal/measure.js,
// not exported by the package).
export { measureSchemaDerivation } from './core/schema/derive-measure'
export { measureValidator } from './core/schema/validator-measure'
export { measureLogger, measureTrace } from './runtime/server/log-measure'
export { measureMetrics } from './runtime/server/metrics-measure'
