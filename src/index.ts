import { createUnplugin } from 'unplugin'
import { unpluginFactory } from './core/unplugin'

export type { Manifest, ManifestFunction, ManifestService } from './core/manifest'
export type { FunctionPolicy, Options } from './core/options'
export { unpluginFactory }

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory)
export default unplugin
