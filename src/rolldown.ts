import { unplugin } from '.'

export default unplugin.rolldown
