/**
 * Where a service's request-context store is published. handle.ts looks it up there instead of
 * importing context.ts, which would put the context in every service. A registered symbol, so
 * that every copy of the runtime in a process agrees on it.
 */
export const REQUEST_CONTEXT_KEY = Symbol.for('unplugin-femto.context')
