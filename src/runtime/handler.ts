// unplugin-femto/handler: `{basePath}/*` as a Web-standard (Request → Response) handler, for a
// framework's server hook (SvelteKit, React Router, Astro, Hono, h3): proxied to the services, or in-process.
export { createFemtoHandler } from './server/web-handler'
export type { FemtoHandler, FemtoHandlerOptions } from './server/web-handler'
