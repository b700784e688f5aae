// What `npm run bench` measures of the type-derived contracts (built to dist/internal/measure.js).
export { measureSchemaDerivation } from './derive-measure'
export { measureValidator } from './validator-measure'
