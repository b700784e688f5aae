// unplugin-femto/runtime: what the browser stubs import (and what user code may import anywhere).
export { callFemto, configureFemto } from './client/call'
export type { FormAttributes, FormOutcome } from './client/form'
export { enhanceForm, formAttributes, formOutcome, submitForm } from './client/form'
export type { CallOptions } from './client/options'
export { withOptions } from './client/options'
export type { StaleClientHook } from './client/stale'
/** @deprecated Node only: import it from `unplugin-femto/runtime/server`; this re-export goes in the next major. */
export { femtoFile } from './server/files'
export type { AuthHook, AuthRequest } from './server/guard'
export { FemtoError, isFemtoError } from './shared/errors'
export type { ErrorCode, ErrorPayload, StubMeta } from './shared/protocol'
export { ERROR_STATUS } from './shared/protocol'
