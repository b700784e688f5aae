import { unplugin } from '.'

export default unplugin.vite
