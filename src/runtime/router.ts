// unplugin-femto/runtime/router: the Express adapter that `router.js` mounts.
export { createRouter } from './server/router'
export type { RouterOptions } from './server/router'
