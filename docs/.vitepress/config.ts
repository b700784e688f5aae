import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vitepress'

const DOCS = join(import.meta.dirname, '..')

/** The design records, in the order of their numbers, titled by their first heading. */
function designRecords(): { text: string, link: string }[] {
  return readdirSync(join(DOCS, 'design'))
    .filter(file => /^\d{4}-.*\.md$/.test(file))
    .sort()
    .map((file) => {
      const title = /^# (.+)$/m.exec(readFileSync(join(DOCS, 'design', file), 'utf8'))?.[1] ?? file
      return { text: title.replace(/`/g, ''), link: `/design/${file.replace(/\.md$/, '')}` }
    })
}

export default defineConfig({
  title: 'unplugin-femto',
  description: 'Mark a function with \'use femto\' and it becomes its own standalone Node service, with a typed fetch stub everywhere it is imported.',
  // Outside docs/, so that neither git nor eslint sees what `vitepress dev` caches.
  cacheDir: '../node_modules/.cache/vitepress',
  lastUpdated: false,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Reference', link: '/reference/options' },
      { text: 'Design', link: '/design/' },
    ],
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Marking functions', link: '/guide/marking-functions' },
          { text: 'Types and validation', link: '/guide/types-and-validation' },
          { text: 'Dev server', link: '/guide/dev-server' },
          { text: 'What a build writes', link: '/guide/build-output' },
          { text: 'Calling and errors', link: '/guide/calling-and-errors' },
          { text: 'Files and forms', link: '/guide/files-and-forms' },
          { text: 'Policies', link: '/guide/policies' },
          { text: 'Security', link: '/guide/security' },
          { text: 'Observability', link: '/guide/observability' },
          { text: 'Deploying', link: '/guide/deploying' },
          { text: 'Version skew', link: '/guide/version-skew' },
          { text: 'Frameworks', link: '/guide/frameworks' },
          { text: 'Native dependencies', link: '/guide/native-dependencies' },
          { text: 'Testing your functions', link: '/guide/testing' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'Options', link: '/reference/options' },
          { text: 'Policy keys', link: '/reference/policies' },
          { text: 'Environment variables', link: '/reference/environment' },
          { text: 'Error codes', link: '/reference/error-codes' },
          { text: 'Wire protocol', link: '/reference/wire-protocol' },
          { text: 'femto.json', link: '/reference/femto-json' },
          { text: 'CLI', link: '/reference/cli' },
          { text: 'Runtime API', link: '/reference/runtime-api' },
        ],
      },
      {
        text: 'Design decisions',
        collapsed: true,
        items: [{ text: 'All decisions', link: '/design/' }, ...designRecords()],
      },
    ],
  },
})
