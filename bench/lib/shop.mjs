// Build and dev-server figures of a shop-like app (five typed femto functions in three modules,
// types imported from a fourth), against the same app built and served by plain Vite (issue 19).
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { freePort } from './processes.mjs'

const TYPES = `export type Region = 'eu' | 'us' | 'uk'

export interface Product {
  id: string
  name: string
  price: number
  tags: string[]
  stock?: number
}

export interface ProductFilter {
  text?: string
  maxPrice?: number
  tags?: string[]
}

export interface CartLine {
  productId: string
  qty: number
}

export interface Cart {
  id: string
  lines: CartLine[]
  region: Region
  updated: Date
}

export interface Quote {
  lines: { productId: string, qty: number, total: number }[]
  net: number
  tax: number
  gross: number
  coupon: string | null
}
`

const CATALOG = `import type { Product, ProductFilter } from './types'

const PRODUCTS: Product[] = [
  { id: 'mug', name: 'Mug', price: 12, tags: ['kitchen'] },
  { id: 'tee', name: 'T-shirt', price: 20, tags: ['clothes'], stock: 3 },
]

/** Products matching a filter. */
export async function listProducts(filter: ProductFilter): Promise<Product[]> {
  'use femto'
  return PRODUCTS.filter(p => (!filter.text || p.name.includes(filter.text)) && (filter.maxPrice === undefined || p.price <= filter.maxPrice))
}

export async function getProduct(id: string): Promise<Product | null> {
  'use femto'
  return PRODUCTS.find(p => p.id === id) ?? null
}
`

const CART = `import type { Cart, CartLine, Quote } from './types'

export async function addToCart(cart: Cart, line: CartLine): Promise<Cart> {
  'use femto'
  return { ...cart, lines: [...cart.lines, line], updated: new Date() }
}

export async function quote(cart: Cart, coupon?: string): Promise<Quote> {
  'use femto'
  const lines = cart.lines.map(l => ({ ...l, total: l.qty * 10 }))
  const net = lines.reduce((s, l) => s + l.total, 0)
  return { lines, net, tax: net * 0.2, gross: net * 1.2, coupon: coupon ?? null }
}
`

const TAX = `import type { Region } from './types'

const RATE = 0.2

export async function tax(amount: number, region: Region): Promise<{ net: number, tax: number, gross: number, region: Region }> {
  'use femto'
  return { net: amount, tax: amount * RATE, gross: amount * (1 + RATE), region }
}
`

const MAIN = `import { addToCart, quote } from './cart'
import { getProduct, listProducts } from './catalog'
import { tax } from './tax'

const app = document.querySelector('#app')!
listProducts({}).then(async (products) => {
  const cart = await addToCart({ id: 'c1', lines: [], region: 'eu', updated: new Date() }, { productId: products[0]!.id, qty: 1 })
  const q = await quote(cart)
  app.textContent = JSON.stringify({ q, t: await tax(q.net, 'eu'), p: await getProduct('mug') })
})
`

// As Vite's own template: strict, the DOM's lib.
const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', lib: ['ES2023', 'DOM', 'DOM.Iterable'], strict: true, skipLibCheck: true, noEmit: true },
  include: ['src'],
}, null, 2)

const HTML = '<!doctype html><html><body><div id="app"></div><script type="module" src="/src/main.ts"></script></body></html>\n'

/**
 * Writes the shop under `dir`, with the plugin (`femto(options)`) or without it. `from`: where
 * the plugin is imported from (another build of it, for a before/after pair).
 */
export function writeShop(dir, pluginOptions, from = 'unplugin-femto/vite') {
  const config = pluginOptions === undefined
    ? `import { defineConfig } from 'vite'\nexport default defineConfig({ plugins: [] })\n`
    : `import femto from '${from}'\nimport { defineConfig } from 'vite'\nexport default defineConfig({ plugins: [femto(${JSON.stringify({ summary: false, ...pluginOptions })})] })\n`
  return writeFiles(dir, config)
}

/**
 * The shop without the plugin, plus what any plugin that builds services through the app's own
 * pipeline (issue 15) must add to plain Vite: the functions' modules built as one more environment
 * of the same build, by Vite's builder (which then loads the config once per environment). With
 * `types`, also TypeScript's checker reading their types (types-floor.mjs). Floors of the shop's
 * goals, measured beside them.
 */
export function writeFloorShop(dir, { types }) {
  const config = `import { basename, resolve } from 'node:path'
import { defineConfig } from 'vite'
${types ? `import { typesFloor } from ${JSON.stringify(join(import.meta.dirname, 'types-floor.mjs'))}\n` : ''}
const modules = ['src/cart.ts', 'src/catalog.ts', 'src/tax.ts'].map(file => resolve(import.meta.dirname, file))
export default defineConfig({
  plugins: [${types ? 'typesFloor(import.meta.dirname, modules)' : ''}],
  builder: {},
  environments: {
    services: {
      consumer: 'server',
      resolve: { noExternal: true },
      build: {
        write: false,
        minify: false,
        emitAssets: false,
        copyPublicDir: false,
        reportCompressedSize: false,
        rolldownOptions: { input: Object.fromEntries(modules.map(file => [basename(file, '.ts'), file])), output: { preserveModules: true } },
      },
    },
  },
})
`
  return writeFiles(dir, config)
}

function writeFiles(dir, config) {
  const files = { 'index.html': HTML, 'tsconfig.json': TSCONFIG, 'vite.config.mjs': config, 'src/types.ts': TYPES, 'src/catalog.ts': CATALOG, 'src/cart.ts': CART, 'src/tax.ts': TAX, 'src/main.ts': MAIN }
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  return dir
}

export function clearSchemaCache(dir) {
  rmSync(join(dir, 'node_modules/.cache/unplugin-femto'), { recursive: true, force: true })
}

/** Wall time (ms) and peak resident memory (MB) of a whole `vite build` process. */
export function measuredBuild(viteBin, root) {
  const report = join(root, '.time')
  const started = performance.now()
  execFileSync('/usr/bin/time', ['-f', '%M', '-o', report, process.execPath, viteBin, 'build', root, '--logLevel', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const ms = performance.now() - started
  const kb = Number(readFileSync(report, 'utf8').trim().split('\n').at(-1))
  return { ms, mb: kb / 1024 }
}

const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async r => ({ status: r.status, body: await r.json() }))

/**
 * `vite dev`: ms from the line saying it is ready to the answer of the first call of `tax`; then
 * ms from saving an edit of `tax` to the first answer that shows it.
 */
export async function measuredDev(viteBin, root) {
  const port = await freePort()
  const proc = spawn(process.execPath, [viteBin, root, '--port', String(port), '--strictPort'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FEMTO_LOG_LEVEL: 'warn' }, detached: true })
  let output = ''
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vite dev did not start: ${output}`)), 60_000)
      const seen = (chunk) => {
        output += chunk
        // Vite colours its banner when the environment asks for colour (CI does: FORCE_COLOR),
        // and the escape codes fall between "Local" and ":".
        if (/Local:/.test(stripVTControlCharacters(output))) {
          clearTimeout(timer)
          resolve()
        }
      }
      proc.stdout.on('data', seen)
      proc.stderr.on('data', chunk => (output += chunk))
      proc.once('exit', code => reject(new Error(`vite dev exited with ${code}: ${output}`)))
    })
    const url = `http://localhost:${port}/femto/tax`
    const ready = performance.now()
    const first = await post(url, [100, 'eu'])
    const firstMs = performance.now() - ready
    if (first.status !== 200 || first.body.tax !== 20)
      throw new Error(`first call answered ${first.status} ${JSON.stringify(first.body)}`)
    const file = join(root, 'src/tax.ts')
    const original = readFileSync(file, 'utf8')
    const saved = performance.now()
    writeFileSync(file, original.replace('const RATE = 0.2', 'const RATE = 0.25'))
    let editMs
    try {
      // Bounded by time, not by count: on a loaded machine the watcher may take a while.
      while (editMs === undefined && performance.now() - saved < 60_000) {
        const answer = await post(url, [100, 'eu'])
        if (answer.body.tax === 25)
          editMs = performance.now() - saved
      }
    }
    finally {
      writeFileSync(file, original)
    }
    if (editMs === undefined)
      throw new Error('the edit was never served')
    // Served again as it was before the edit, so the schema cache holds the files as they are now,
    // as a developer's session leaves it: the next start is the warm one.
    let restored = false
    let last
    while (!restored && performance.now() - saved < 120_000) {
      last = await post(url, [100, 'eu'])
      restored = last.body.tax === 20
    }
    if (!restored)
      throw new Error(`the file restored after the edit was never served; the last answer: ${last?.status} ${JSON.stringify(last?.body)}\n${output}`)
    return { firstMs, editMs }
  }
  finally {
    if (proc.exitCode === null) {
      const exited = new Promise(resolve => proc.once('exit', resolve))
      process.kill(-proc.pid, 'SIGTERM')
      await exited
    }
  }
}
