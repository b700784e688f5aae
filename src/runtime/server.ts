// unplugin-femto/runtime/server: what generated service entries import (the standalone server and
// the service-to-service stub), and the Node-only helpers functions use.
export { callService } from './server/call'
export { femtoFile } from './server/files'
export type { AuthHook, AuthRequest } from './server/guard'
export { startService } from './server/http'
export type { ServiceOptions } from './server/http'
export type { ParamSpec, ServedFunction } from './server/types'
