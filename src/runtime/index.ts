export { callFemto, configureFemto } from './client'
export { FemtoError, isFemtoError } from './errors'
export type { ErrorCode, ErrorPayload, StubMeta } from './protocol'
export { ERROR_STATUS } from './protocol'
