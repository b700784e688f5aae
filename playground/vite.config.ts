import femto from 'unplugin-femto/vite'
import { defineConfig } from 'vite'

export default defineConfig({
  plugins: [femto()],
})
