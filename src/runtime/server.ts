// What generated service entries import: the standalone server and the service-to-service stub.
export { callService } from './server/call'
export type { AuthHook, AuthRequest } from './server/guard'
export { startService } from './server/http'
export type { ServiceOptions } from './server/http'
export type { ParamSpec, ServedFunction } from './server/types'
