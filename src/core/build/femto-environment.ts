// The services' Vite environment as the plugin's hooks name it: loaded with the plugin, while
// the environment itself (vite-services.ts, which loads the bundle cache and rolldown's parser)
// loads only in a build that has functions to build.

/** The Vite environment that builds every service (and router.js) in one build. */
export const FEMTO_ENVIRONMENT = 'femto'
/** A service's generated entry module, `\0femto-service:<service name>`. */
export const SERVICE_ENTRY = '\0femto-service:'

// The builds (by the inline config every environment of one build is resolved from) whose builder
// made the femto environment, so that their buildApp builds the services. The JS `build()` API
// makes only the client's environment and never calls buildApp. Global: a config file that imports
// the plugin by a relative path holds its own copy of this module each time Vite loads it.
const BUILDERS = Symbol.for('unplugin-femto.vite-builders')
export const builders: WeakSet<object> = ((globalThis as Record<symbol, WeakSet<object>>)[BUILDERS] ??= new WeakSet())

/** Whether Vite's builder made the femto environment beside this one, so buildApp builds the services. */
export function madeByBuilder(config: { inlineConfig: object }): boolean {
  return builders.has(config.inlineConfig)
}
