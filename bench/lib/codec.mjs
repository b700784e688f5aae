// Which library carries the stub's rich encoding: measured, not assumed. Each candidate must
// decode without eval (the services decode what any client sends).
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import * as devalue from 'devalue'
import { rolldown } from 'rolldown'
import * as seroval from 'seroval'
import superjson from 'superjson'

export const CANDIDATES = {
  'JSON (baseline, loses types)': {
    encode: v => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x)),
    decode: t => JSON.parse(t),
    entry: 'export const e = JSON.stringify, d = JSON.parse',
  },
  'devalue': {
    encode: v => devalue.stringify(v),
    decode: t => devalue.parse(t),
    entry: 'export { stringify, parse } from \'devalue\'',
  },
  'seroval (JSON mode)': {
    encode: v => JSON.stringify(seroval.toJSON(v)),
    decode: t => seroval.fromJSON(JSON.parse(t)),
    entry: 'export { toJSON, fromJSON } from \'seroval\'',
  },
  'superjson': {
    encode: v => superjson.stringify(v),
    decode: t => superjson.parse(t),
    entry: 'import s from \'superjson\'\nexport const e = s.stringify, d = s.parse',
  },
}

export const PAYLOADS = {
  'arguments `[2, 3]`': () => [2, 3],
  'an order (Date, Map, Set, BigInt, undefined)': () => ({
    id: 'A-1042',
    placedAt: new Date('2026-11-22T10:00:00Z'),
    total: 123456789012345678901234567890n,
    lines: new Map([['mug', { qty: 2, note: undefined }], ['tee', { qty: 1, note: 'XL' }]]),
    tags: new Set(['gift', 'express']),
  }),
  '1,000 records with a Date each': () => Array.from({ length: 1000 }, (_, i) => ({ id: i, name: `item ${i}`, createdAt: new Date(1_700_000_000_000 + i), price: i * 1.5, active: i % 2 === 0 })),
}

/** µs per encode + decode, and encoded bytes, for every candidate and payload. */
export function compareCodecs({ iterations }) {
  const rows = []
  for (const [payloadName, make] of Object.entries(PAYLOADS)) {
    const value = make()
    for (const [name, codec] of Object.entries(CANDIDATES)) {
      const text = codec.encode(value)
      for (let i = 0; i < Math.min(200, iterations); i++) codec.decode(codec.encode(value))
      const start = performance.now()
      for (let i = 0; i < iterations; i++) codec.decode(codec.encode(value))
      rows.push({ payload: payloadName, codec: name, us: (performance.now() - start) * 1000 / iterations, bytes: Buffer.byteLength(text) })
    }
  }
  return rows
}

/** Bytes a codec adds to a bundle: the two functions, tree-shaken and minified. */
export async function codecBundleBytes() {
  const sizes = {}
  for (const [name, codec] of Object.entries(CANDIDATES)) {
    const bundle = await rolldown({ input: 'entry', platform: 'browser', logLevel: 'silent', plugins: [{ name: 'entry', resolveId: id => (id === 'entry' ? id : undefined), load: id => (id === 'entry' ? codec.entry : undefined) }] })
    const { output } = await bundle.generate({ format: 'esm', minify: true })
    await bundle.close()
    sizes[name] = { raw: Buffer.byteLength(output[0].code), gzip: gzipSync(output[0].code).length }
  }
  return sizes
}
