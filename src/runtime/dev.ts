// unplugin-femto/runtime/dev: the handler `vite dev` serves the functions with.
export { createDevHandler } from './server/dev'
export type { DevHandler, DevHandlerOptions } from './server/dev'
