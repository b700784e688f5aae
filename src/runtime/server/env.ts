/**
 * The one place the femto runtime takes the environment from: the build's secrets scan
 * (core/env-scan.ts) recognises this line and does not count the runtime's own reads (PORT,
 * FEMTO_URL_<NAME> by a computed name, …) as the function's.
 */
export const femtoRuntimeEnv: NodeJS.ProcessEnv = globalThis.process.env
