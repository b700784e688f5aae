import { createRequire } from 'node:module'

/**
 * Ajv 8 (JSON Schema 2020-12) with ajv-formats: a validator no one here wrote. The project's
 * top-level `ajv` is ESLint's Ajv 6, so this loads the Ajv 8 that `ajv-formats` itself depends on
 * (one Ajv for the formats and the checks). Unknown keywords (`x-femto-type`, OpenAPI's) are
 * annotations, as JSON Schema says; `date-time` and `uri` are checked as ajv-formats defines them.
 */
/** The part of Ajv's API the tests use. */
export interface Ajv {
  compile: (schema: object) => ((data: unknown) => boolean) & { errors?: unknown }
}

export function jsonSchema2020(): Ajv {
  const require = createRequire(require_resolve('ajv-formats'))
  const Ajv2020 = require('ajv/dist/2020').default as new (options: object) => Ajv
  const addFormats = require('ajv-formats').default as (ajv: Ajv) => Ajv
  return addFormats(new Ajv2020({ strict: false, allErrors: false }))
}

function require_resolve(name: string): string {
  return createRequire(import.meta.url).resolve(name)
}
