// unplugin-femto/context: a service whose code reads getRequestContext gets the request context (see server/context.ts).
export { getRequestContext } from './server/context'
export type { RequestContext } from './server/context'
