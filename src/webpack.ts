import { unplugin } from '.'

export default unplugin.webpack
