import addFormats from 'ajv-formats'
import Ajv2020 from 'ajv/dist/2020.js'

/**
 * Ajv 8 (JSON Schema 2020-12) with ajv-formats: a validator no one here wrote. Unknown keywords
 * (`x-femto-type`, OpenAPI's) are annotations, as JSON Schema says; `date-time` and `uri` are
 * checked as ajv-formats defines them.
 */
/** The part of Ajv's API the tests use. */
export interface Ajv {
  compile: (schema: object) => ((data: unknown) => boolean) & { errors?: unknown }
}

export function jsonSchema2020(): Ajv {
  const ajv = new Ajv2020({ strict: false, allErrors: false })
  ;(addFormats as unknown as (ajv: Ajv2020) => Ajv2020)(ajv)
  return ajv as unknown as Ajv
}
