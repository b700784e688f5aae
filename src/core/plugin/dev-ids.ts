/** The Vite environment that runs femto functions in the dev server (consumer `server`). */
export const DEV_ENVIRONMENT = 'femto'
/** The module that environment runs: every function behind one handler. */
export const DEV_ENTRY = 'virtual:femto-dev'
export const RESOLVED_DEV_ENTRY = '\0femto-dev'
