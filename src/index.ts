import { createUnplugin } from 'unplugin'
import { unpluginFactory } from './core/plugin/unplugin'

export type { Manifest, ManifestFunction, ManifestService } from './core/build/manifest'
export type { FunctionPolicy, Options } from './core/registry/options'
export { unpluginFactory }

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory)
export default unplugin
