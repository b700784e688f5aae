// unplugin-femto/context: importing it turns the request context on (see server/context.ts).
export { getRequestContext } from './server/context'
export type { RequestContext } from './server/context'
