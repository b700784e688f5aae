// A fuzz harness for a running femto service: many malformed or hostile requests, then a check
// that the service is still up and still answers good calls correctly. Plain ESM so both the
// vitest suite (test/fuzz.test.ts) and the CLI (bench/fuzz.mjs) import it.
//
// Every request is generated from (seed, index) alone, with its own seeded PRNG: a failing run
// replays exactly from its seed, and one failing request alone with `generateCase(seed, index)`,
// whatever the concurrency and timing were.
import { Buffer } from 'node:buffer'
import http from 'node:http'
import net from 'node:net'
import { stringify as devalueStringify } from 'devalue'

/** The body limit a service has unless configured otherwise (1 MiB). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024
/** An answer later than this to a complete request is a hang. */
const ANSWER_WAIT_MS = 15_000
/** Raw requests that end with `Connection: close` wait this long for the server to close. */
const RAW_WAIT_MS = 10_000
/** Node's default limit on the request line plus headers. */
const HEADER_LIMIT = 16 * 1024

// ---------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a 32-bit PRNG in a few lines, good enough to pick fuzz cases. */
export function mulberry32(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed of request `index` of a run: independent of the order requests are sent in. */
function caseSeed(seed, index) {
  let h = (seed ^ Math.imul(index + 1, 0x9E3779B1)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85EBCA6B)
  h = Math.imul(h ^ (h >>> 13), 0xC2B2AE35)
  return (h ^ (h >>> 16)) >>> 0
}

class Rand {
  constructor(seed) {
    this.next = mulberry32(seed)
  }

  /** An integer in [min, max]. */
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p) {
    return this.next() < p
  }

  pick(list) {
    return list[Math.floor(this.next() * list.length)]
  }

  /** `[[weight, value], …]`: a value with probability proportional to its weight. */
  weighted(entries) {
    let total = 0
    for (const [w] of entries)
      total += w
    let x = this.next() * total
    for (const [w, value] of entries) {
      x -= w
      if (x < 0)
        return value
    }
    return entries.at(-1)[1]
  }

  string(length, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') {
    let s = ''
    for (let i = 0; i < length; i++)
      s += alphabet[Math.floor(this.next() * alphabet.length)]
    return s
  }

  bytes(length, min = 0, max = 255) {
    const b = Buffer.allocUnsafe(length)
    for (let i = 0; i < length; i++)
      b[i] = this.int(min, max)
    return b
  }
}

// ---------------------------------------------------------------------------------------------
// Values and bodies

// eslint-disable-next-line no-template-curly-in-string -- a template placeholder is the point
const ODD_STRINGS = ['${x}', '', ' ', 'boo', 'null', 'undefined', '__proto__', 'constructor', '\u0000', '\uFFFD', '\uD800', '\uDFFF', '😀', 'é', 'Ω≈ç√', '\u202E', '<script>', '"\'`', '\\', '../../etc/passwd', '%00', '{{x}}', 'NaN', '1e309']

/** A random JSON-able value, up to `depth` levels deep. */
function randomValue(r, depth = 3) {
  const kind = r.int(0, depth > 0 ? 9 : 6)
  switch (kind) {
    case 0: return null
    case 1: return r.chance(0.5)
    case 2: return r.pick([0, -1, 1, 2 ** 53, -(2 ** 53), 1.5, Number.MAX_VALUE, Number.MIN_VALUE, 1e21, r.int(-1e9, 1e9)])
    case 3: return r.pick(ODD_STRINGS)
    case 4: return r.string(r.int(0, 40), 'abc XYZ\t\n"\\/é😀\u0001')
    case 5: return r.string(r.int(1, 8))
    case 6: return r.int(-100, 100)
    case 7: return Array.from({ length: r.int(0, 5) }, () => randomValue(r, depth - 1))
    default: {
      const object = {}
      for (let i = r.int(0, 5); i > 0; i--)
        object[r.pick(['a', 'b', 'sku', 'extra', 'x', 'arg0', 'name', r.string(3)])] = randomValue(r, depth - 1)
      return object
    }
  }
}

/** A JSON text with `__proto__`, `constructor` and `prototype` keys at every level. */
function protoNest(r, depth) {
  let text = r.pick(['1', '"x"', 'null', '{"polluted":true}', '[]', '{"isAdmin":true,"toString":1,"valueOf":"x"}'])
  for (let i = 0; i < depth; i++) {
    const keys = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']
    const first = r.pick(keys)
    const others = keys.filter(k => k !== first && r.chance(0.4)).map(k => `"${k}":${r.pick(['1', '{}', '"x"', 'null', '{"polluted":1}'])}`)
    text = `{"${first}":${text}${others.length > 0 ? `,${others.join(',')}` : ''}}`
    if (r.chance(0.15))
      text = `[${text}]`
  }
  return text
}

/** Depth-`depth` nesting, closed or left open. */
function deepNest(r, depth) {
  const shape = r.int(0, 3)
  if (shape === 0)
    return '['.repeat(depth) + ']'.repeat(depth)
  if (shape === 1)
    return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
  if (shape === 2)
    return `${'[{"a":'.repeat(depth)}null${'}]'.repeat(depth)}`
  return '['.repeat(depth) // unclosed
}

const HUGE_NUMBERS = ['1e309', '-1e309', '-0', '9999999999999999999999', '1e-400', '0.1e99999', '-9223372036854775809', '123456789012345678901234567890e-10', '4.9e-324', '1.7976931348623157e308', '0x10', '1_000', '+1', '.5', '5.', 'NaN', 'Infinity', '-Infinity', '00', '-', '1e', '01', '1e+', '--1']

const BROKEN_JSON = ['[', ']', '{', '}', '[1,2', '[1,]', '[,1]', '{a:1}', '{"a":1,}', '{"a"}', '{"a" 1}', '\'[1,2]\'', '[1 2]', '[01]', '["\\x41"]', '["\\u12"]', '["a\nb"]', '[true false]', '[tru]', '[nul]', '[1]]', '[[1]', '/* */[1,2]', '[1,2]//', '[1,2] x', 'undefined', '()', '<xml/>', 'a=1&b=2', '\uFEFF[1,2]', '[1,2]\u0000', '{"a":1}{"b":2}', '"unterminated', '[1,2,3', '[{"a":[{"b":']

/** A JSON-ish body for a route: mostly hostile, sometimes nearly right. */
function jsonBody(r, route, limit) {
  const good = route.sample
  const goodText = JSON.stringify(good)
  const kind = r.weighted([
    [6, 'invalid'],
    [6, 'truncated'],
    [6, 'numbers'],
    [4, 'deep'],
    [4, 'long-string'],
    [6, 'proto'],
    [8, 'arity'],
    [6, 'named'],
    [6, 'types'],
    [4, 'non-utf8'],
    [4, 'nul'],
    [4, 'empty'],
    [3, 'over-limit'],
    [2, 'under-limit'],
    [3, 'good'],
  ])
  switch (kind) {
    case 'invalid': {
      const body = r.chance(0.7) ? r.pick(BROKEN_JSON) : r.string(r.int(1, 200), '[]{}",:0123456789.eE+-abcdtrufnl \\\t\n')
      return { what: `invalid JSON ${clip(body)}`, body }
    }
    case 'truncated': {
      const whole = r.chance(0.5) ? goodText : JSON.stringify(randomValue(r, 4))
      const cut = whole.length > 1 ? r.int(1, whole.length - 1) : 0
      return { what: `truncated JSON ${clip(whole.slice(0, cut))}`, body: whole.slice(0, cut) }
    }
    case 'numbers': {
      const nums = Array.from({ length: r.int(1, Math.max(2, good.length)) }, () => r.pick(HUGE_NUMBERS))
      const body = r.chance(0.7) ? `[${nums.join(',')}]` : `{"a":${nums[0]},"b":${nums[1] ?? '1'}}`
      return { what: `odd numbers ${clip(body)}`, body }
    }
    case 'deep': {
      const depth = r.int(10_000, 100_000)
      const nest = deepNest(r, depth)
      const body = r.weighted([[2, nest], [2, `[${nest},1]`], [1, `{"a":${nest},"b":2}`], [1, `[${JSON.stringify(good[0] ?? 1)},${nest}]`]])
      return { what: `nesting ${depth} deep (${clip(nest, 20)})`, body }
    }
    case 'long-string': {
      const length = r.pick([1000, 60_000, 500_000, Math.floor(limit * 0.9)])
      const unit = r.pick(['x', 'é', '\\u0000', '😀', '\\"', ' '])
      const s = unit.repeat(Math.max(1, Math.floor(length / unit.length)))
      const body = r.chance(0.5) ? `["${s}",1]` : `[${JSON.stringify(good[0] ?? 'x')},"${s}"]`
      return { what: `long string of ${s.length} chars of '${unit}' (${Buffer.byteLength(body)} bytes)`, body }
    }
    case 'proto': {
      const nest = protoNest(r, r.int(1, 30))
      const body = r.weighted([
        [2, nest],
        [2, `[${nest},${nest}]`],
        [1, `[${JSON.stringify(good[0] ?? 1)},${nest}]`],
        [1, `{"__proto__":{"polluted":true},"a":2,"b":3}`],
        [1, `{"constructor":{"prototype":{"polluted":true}}}`],
        [1, `[{"__proto__":null},{"__proto__":[]}]`],
        [1, `{"a":1,"a":2,"__proto__":1,"__proto__":2}`],
      ])
      return { what: `proto keys ${clip(body)}`, body }
    }
    case 'arity': {
      const n = r.weighted([[4, 0], [4, 1], [4, good.length + r.int(1, 5)], [2, r.int(1000, 20_000)], [2, r.int(130_000, 260_000)]])
      // Extra items of the last argument's type: what a rest parameter accepts.
      const filler = JSON.stringify(good.at(-1) ?? 1)
      const body = n <= good.length
        ? JSON.stringify(good.slice(0, n))
        : `${goodText.slice(0, -1)}${good.length > 0 ? ',' : ''}${filler}${`,${filler}`.repeat(n - good.length - 1)}]`
      return { what: `${n} positional argument(s) ${clip(body)}`, body }
    }
    case 'named': {
      const names = ['a', 'b', 'c', 'sku', 'extra', 'arg0', 'arg1', 'name', 'text', '', '0', '1', 'length', 'toString', 'hasOwnProperty', 'constructor', '__proto__', r.string(r.int(1, 300))]
      const object = {}
      for (let i = r.int(0, 4); i > 0; i--)
        object[r.pick(names)] = r.chance(0.5) ? r.pick(good.length > 0 ? good : [1]) : randomValue(r, 2)
      let body = JSON.stringify(object)
      if (r.chance(0.3)) {
        // A rest parameter's array under its name, with many items of the right type.
        const n = r.pick([0, 3, 5000, 200_000])
        const item = JSON.stringify(good.at(-1) ?? 'x')
        body = `{"sku":${JSON.stringify(good[0] ?? 'x')},"extra":[${n > 0 ? item : ''}${`,${item}`.repeat(Math.max(0, n - 1))}]}`
        return { what: `named with a ${n}-item rest array`, body }
      }
      return { what: `named ${clip(body)}`, body }
    }
    case 'types': {
      const args = good.map(v => (r.chance(0.6) ? randomValue(r, 3) : v))
      const body = JSON.stringify(r.chance(0.8) ? args : randomValue(r, 3)) ?? 'null'
      return { what: `odd types ${clip(body)}`, body }
    }
    case 'non-utf8': {
      const inner = r.weighted([
        [3, r.bytes(r.int(1, 64), 0x80, 0xFF)],
        [1, Buffer.from([0xC0, 0xAF, 0xE0, 0x80, 0xAF])], // overlong
        [1, Buffer.from([0xED, 0xA0, 0x80, 0xED, 0xBF, 0xBF])], // encoded surrogates
        [1, Buffer.from([0xF4, 0x90, 0x80, 0x80])], // past U+10FFFF
        [1, Buffer.from([0xE2, 0x82])], // cut short
      ])
      const shape = r.int(0, 3)
      const body = shape === 0
        ? Buffer.concat([Buffer.from('["'), inner, Buffer.from('",1]')])
        : shape === 1
          ? Buffer.concat([Buffer.from([0xEF, 0xBB, 0xBF]), Buffer.from(goodText)])
          : shape === 2 ? Buffer.from(goodText, 'utf16le') : inner
      return { what: `non-UTF-8 bytes (shape ${shape}) ${body.subarray(0, 16).toString('hex')}`, body }
    }
    case 'nul': {
      const body = r.pick([`["a\u0000b",1]`, `[1,2]\u0000`, `\u0000[1,2]`, `["\\u0000",2]`, `{"\\u0000":1}`, `[${JSON.stringify(good[0] ?? 1)},"\\u0000\\u0000"]`, '\u0000'.repeat(r.int(1, 100))])
      return { what: `NUL bytes ${JSON.stringify(clip(body))}`, body }
    }
    case 'empty': {
      const body = r.pick(['', ' ', '\n', '\t\r\n ', '\u00A0', '\uFEFF', '  '.repeat(1000)])
      return { what: `empty/blank body ${JSON.stringify(clip(body))}`, body }
    }
    case 'over-limit':
    case 'under-limit': {
      const size = kind === 'over-limit' ? r.int(limit + 1, limit * 3) : r.int(limit - 64, limit)
      const body = Buffer.concat([Buffer.from('["'), xs(Math.max(0, size - 6)), Buffer.from('",1]')])
      return { what: `${kind} body of ${body.length} bytes`, body, mayClose: kind === 'over-limit', chunkedChance: 0.4 }
    }
    default:
      return { what: `good arguments ${clip(goodText)}`, body: goodText, expectOk: true }
  }
}

// The stubs' reducers (src/runtime/codec.ts), so URLs and errors encode as the stubs send them.
const REDUCERS = {
  URL: value => value instanceof URL && value.href,
  Error: value => value instanceof Error && [value.name, value.message, { ...value }],
}

function devalue(value) {
  return devalueStringify(value, REDUCERS)
}

let xBuffer = Buffer.alloc(0)

/** `n` bytes of `x`, from one buffer made once. */
function xs(n) {
  if (xBuffer.length < n)
    xBuffer = Buffer.alloc(Math.max(n, 4 * DEFAULT_BODY_LIMIT), 'x')
  return xBuffer.subarray(0, n)
}

// devalue's sentinels (devalue/src/constants.js).
const HOLE = -2
const SPARSE = -7

/** A body in the stubs' rich encoding (devalue): valid, mutated, or hand-made hostile. */
function richBody(r, route) {
  const good = route.sample
  const kind = r.weighted([[3, 'valid'], [3, 'mutated'], [2, 'truncated'], [6, 'hostile'], [2, 'sparse'], [2, 'deep-refs'], [1, 'good']])
  if (kind === 'good')
    return { what: `devalue good arguments`, body: devalue(good), expectOk: true }
  if (kind === 'valid' || kind === 'mutated' || kind === 'truncated') {
    const value = good.map(v => (r.chance(0.5) ? richValue(r, 3) : v))
    const text = devalue(r.chance(0.9) ? value : richValue(r, 3))
    if (kind === 'valid')
      return { what: `devalue ${clip(text)}`, body: text }
    if (kind === 'truncated') {
      const cut = r.int(0, text.length - 1)
      return { what: `devalue truncated ${clip(text.slice(0, cut))}`, body: text.slice(0, cut) }
    }
    const flat = JSON.parse(text)
    for (let i = r.int(1, 4); i > 0; i--)
      mutateFlat(r, flat)
    const body = JSON.stringify(flat)
    return { what: `devalue mutated ${clip(body)}`, body }
  }
  if (kind === 'deep-refs') {
    // Each entry refers to the next: nesting `n` deep after JSON.parse, so hydrate recurses `n` times.
    const object = r.chance(0.5)
    // Under the body limit: the point is the depth, not the size.
    const n = r.int(10_000, object ? 70_000 : 100_000)
    const chain = referenceChain(object)
    return { what: `devalue reference chain ${n} deep`, body: `[${chain.text.slice(0, chain.offsets[n])}1]` }
  }
  const first = JSON.stringify(typeof good[0] === 'string' ? good[0] : 'x')
  if (kind === 'sparse') {
    // devalue's sparse arrays declare their length: a few bytes can claim 2^32 - 1 items.
    const length = r.pick([0, 3, 1000, 200_000, 2 ** 32 - 1])
    const body = r.pick([
      `[[${SPARSE},${length},0,1],${first}]`,
      `[[${SPARSE},${length}]]`,
      `[{"sku":1,"extra":2},${first},[${SPARSE},${length}]]`,
      `[{"a":1,"b":2},3,[${SPARSE},${length}]]`,
      `[[1,2],${first},[${SPARSE},${length},0,1]]`,
    ])
    return { what: `devalue sparse array ${body}`, body }
  }
  const length = r.pick([0, 3, 1000, 200_000])
  const body = r.pick([
    '[[0]]',
    '[{"a":0}]',
    '[[0,0,0]]',
    '[["Error",0]]',
    '[["Error",1],[2,3,4],"TypeError","boom",{"code":5},"X"]',
    '[["Error",1],[2,3,1],"Error","m"]',
    '[["Error",1],5]',
    '[["URL",1],"::not a url::"]',
    '[["URL",1],{"__proto__":1}]',
    '[["BigInt","1e5"]]',
    '[["BigInt","-"]]',
    '[["BigInt",[]]]',
    `[["BigInt","${'9'.repeat(r.int(1, 20_000))}"]]`,
    '[["Date","not a date"]]',
    '[["Date",1e309]]',
    '[["RegExp","(","zz"]]',
    '[["RegExp","(a+)+$","g"]]',
    '[["Uint8Array",1,0,99],["ArrayBuffer","!!!"]]',
    '[["Float64Array",1,3,1],["ArrayBuffer","AAAA"]]',
    '[["Uint8Array",1],["Uint8Array",0]]',
    '[["DataView",1,-1,5],["ArrayBuffer","AAAAAAAA"]]',
    '[["ArrayBuffer",5]]',
    `[["ArrayBuffer","${'A'.repeat(4 * r.int(1, 200_000))}"]]`,
    '[["Set",0]]',
    '[["Set",1,1,1],{}]',
    '[["Map",0,0]]',
    '[["Map",1],2]',
    '[{"__proto__":1},2]',
    '[["null","__proto__",1],2]',
    '[["null",1,1],2]',
    '[["Object",0]]',
    '[["Object",1],["BigInt","1"]]',
    '[["Object",-1]]',
    '[["Temporal.Instant","x"]]',
    '[["URLSearchParams",5]]',
    '[["Nope",1],2]',
    '[[1,2],"a"]',
    '[[1,99999]]',
    '[[-1,-2,-3,-4,-5,-6,-7,-8]]',
    '[[1.5]]',
    '[["1"]]',
    '[[null]]',
    '[[true]]',
    `[[-7,${length},0,1],${first}]`,
    `[[${SPARSE},${length}]]`,
    `[{"sku":1,"extra":2},${first},[${SPARSE},${length}]]`,
    `[{"a":1,"b":2,"sku":3,"extra":4},1,2,${first},[${SPARSE},${length},0,3]]`,
    `[[1,${HOLE},1],2]`,
    '5',
    '-1',
    '-7',
    '"x"',
    '{}',
    '[]',
    'null',
    '[1e309]',
    '[',
    '',
  ])
  return { what: `devalue hostile ${clip(body)}`, body }
}

const chains = new Map()

/** `[1],[2],…` (or `{"a":1},…`) up to 100k entries, made once: entry i refers to entry i + 1. */
function referenceChain(object) {
  let chain = chains.get(object)
  if (!chain) {
    const parts = []
    const offsets = new Int32Array(100_002)
    let length = 0
    for (let i = 1; i <= 100_001; i++) {
      const part = object ? `{"a":${i}},` : `[${i}],`
      parts.push(part)
      length += part.length
      offsets[i] = length
    }
    chain = { text: parts.join(''), offsets }
    chains.set(object, chain)
  }
  return chain
}

/** A random value of what devalue carries. */
function richValue(r, depth) {
  const kind = r.int(0, depth > 0 ? 14 : 10)
  switch (kind) {
    case 0: return undefined
    case 1: return Number.NaN
    case 2: return r.chance(0.5) ? Infinity : -Infinity
    case 3: return -0
    case 4: return BigInt(r.int(-1e9, 1e9)) ** BigInt(r.int(1, 5))
    case 5: return new Date(r.chance(0.8) ? r.int(-1e13, 1e13) : Number.NaN)
    case 6: return new RegExp(r.pick(['a+', '(a|b)*', '\\d', '^$']), r.pick(['', 'g', 'gimsuy']))
    case 7: return new Uint8Array(r.bytes(r.int(0, 32)))
    case 8: return new URL(r.pick(['http://x.example/a?b#c', 'file:///etc/passwd', 'data:,x']))
    case 9: return Object.assign(new (r.pick([Error, TypeError, RangeError]))(r.string(8)), r.chance(0.5) ? { code: 'X' } : {})
    case 10: return randomValue(r, 1)
    case 11: return new Set(Array.from({ length: r.int(0, 4) }, () => richValue(r, depth - 1)))
    case 12: return new Map(Array.from({ length: r.int(0, 4) }, () => [richValue(r, depth - 1), richValue(r, depth - 1)]))
    case 13: {
      const a = [richValue(r, depth - 1)]
      a.push(a) // a cycle
      return a
    }
    default: return { x: richValue(r, depth - 1), y: [richValue(r, depth - 1)] }
  }
}

/** Breaks one entry of a flattened devalue payload. */
function mutateFlat(r, flat) {
  if (!Array.isArray(flat) || flat.length === 0)
    return
  const i = r.int(0, flat.length - 1)
  const replacement = r.pick([
    flat.length + r.int(0, 10),
    -r.int(1, 10),
    0,
    i,
    1.5,
    '__proto__',
    null,
    [],
    {},
    ['Nope', 1],
    ['Date', 'x'],
    ['BigInt', 'x'],
    [SPARSE, 2 ** 32 - 1],
    { __proto__: null, ['__proto__']: 1 },
  ])
  const entry = flat[i]
  if (Array.isArray(entry) && entry.length > 0 && r.chance(0.6))
    entry[r.int(0, entry.length - 1)] = replacement
  else if (entry && typeof entry === 'object' && !Array.isArray(entry) && r.chance(0.6))
    entry[r.pick([...Object.keys(entry), 'x', '__proto__'])] = replacement
  else
    flat[i] = replacement
}

// ---------------------------------------------------------------------------------------------
// Headers, methods and paths

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=utf-16',
  'application/json;;;',
  'application/json ; x=y',
  'application/jsonx',
  'application/json-patch+json',
  'application/ld+json',
  'text/plain',
  'text/json',
  'text/html; charset=utf-8',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/vnd.femto+devalue',
  'application/vnd.femto+devalue; charset=utf-8',
  'application/vnd.femto+devalue-stream',
  'application/x-ndjson',
  '',
  '*/*',
  'application/',
  '/json',
  'json',
  'application/json\u00E9',
  'x'.repeat(4000),
]

const ACCEPTS = [
  'application/vnd.femto+devalue',
  'application/vnd.femto+devalue-stream',
  '*/*',
  'application/json',
  'application/json;q=0',
  'text/html',
  'text/event-stream',
  'application/vnd.femto+devalue, application/json;q=0.1',
  '',
  'garbage,,,;;;',
  'a/b'.repeat(2000),
]

const REQUEST_ID_ALPHABETS = [
  'abcXYZ019_.:@/+=-',
  ' \t"\'<>{}[]()!#$%^&*?,;|~`\\',
  '\u00E9\u00FF\u0080\u00A0\u00C0',
  'abc \u00E9:/=',
]

const METHODS_CLIENT = ['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD', 'TRACE', 'PROPFIND', 'PURGE', 'MKCOL', 'COPY', 'LOCK', 'SEARCH', 'REPORT', 'NOTIFY', 'SUBSCRIBE', 'LINK', 'MOVE', 'POST', 'POST']

function oddPath(r, route) {
  return r.pick([
    '/',
    '/healthz',
    '/readyz',
    '/metrics',
    '/openapi.json',
    '/docs',
    '/femto',
    '/femto/',
    '/femto/nope',
    `${route}/`,
    `${route}/..`,
    `/femto/../${route.slice(1)}`,
    `/femto/%2e%2e${route}`,
    `${route}%00`,
    `${route}%00.json`,
    `/femto%2f${route.split('/').pop()}`,
    `${route.toUpperCase()}`,
    `/${route}`,
    `/.${route}`,
    `${route.replace('/femto/', '/femto//')}`,
    `${route}?${r.string(r.int(0, 200), 'ab=&%?#/;+09')}`,
    `${route}?__proto__[polluted]=1&constructor[prototype][x]=1`,
    `${route}#frag`,
    `${route};jsessionid=1`,
    `/%ff%fe${route}`,
    '/%',
    '/%zz',
    `/${'a/'.repeat(r.int(100, 4000))}`,
    `${route}?${'q'.repeat(r.int(1000, 15_000))}`,
    `/${'\u00E9'.repeat(r.int(1, 50))}`,
    `/../../../etc/passwd`,
    `/healthz/../${route.slice(1)}`,
  ])
}

// ---------------------------------------------------------------------------------------------
// Cases

/**
 * @typedef {object} HttpCase
 * @property {'http'} kind sent through `node:http`
 * @property {string} what a short description, for the report
 * @property {string} method the request's method
 * @property {string} path the request target, as `node:http` accepts it
 * @property {string[]} headers flat `[name, value, …]`, sent as is (duplicates included)
 * @property {Buffer | string} [body] the body, if any
 * @property {boolean} [chunked] written in pieces with `transfer-encoding: chunked`
 * @property {boolean} [mayClose] the server may close the connection before answering
 * @property {boolean} [expectOk] a good call: anything but 200 is a failure
 */

/**
 * @typedef {object} RawCase
 * @property {'raw'} kind written to a `node:net` socket as bytes
 * @property {string} what a short description, for the report
 * @property {(Buffer | string)[]} chunks written one after the other, `gapMs` apart
 * @property {number} [gapMs] the pause between chunks
 * @property {number} [closeAfterMs] the client gives up (closes) this long after writing: a request left incomplete on purpose
 */

/** The routes option as a list of `{ route, sample }`. */
function routeList(routes) {
  const list = Object.entries(routes).map(([route, sample]) => ({ route, sample: Array.isArray(sample) ? sample : [sample] }))
  if (list.length === 0)
    throw new Error('fuzzService needs at least one route with good arguments')
  return list
}

/**
 * Request `index` of the run with `seed`: the same (seed, index, routes) always gives the same
 * request, so one failure can be replayed alone.
 * @returns {HttpCase | RawCase} the request, described
 */
export function generateCase(seed, index, routes, { host = '127.0.0.1', bodyLimit = DEFAULT_BODY_LIMIT } = {}) {
  const r = new Rand(caseSeed(seed, index))
  const list = Array.isArray(routes) ? routes : routeList(routes)
  const target = r.pick(list)
  const category = r.weighted([[50, 'body'], [8, 'rich'], [15, 'headers'], [12, 'method-path'], [15, 'raw']])
  if (category === 'raw')
    return { ...rawCase(r, target, host), category }

  const base = ['host', host]
  let method = 'POST'
  let path = r.chance(0.1) ? '/' : target.route
  let contentType = 'application/json'
  let body
  let what
  let mayClose = false
  let expectOk = false
  let chunked = false
  const extra = []

  if (category === 'body') {
    const made = jsonBody(r, target, bodyLimit)
    ;({ body, what } = made)
    mayClose = !!made.mayClose
    expectOk = !!made.expectOk && path === target.route
    chunked = r.chance(made.chunkedChance ?? 0.05)
    if (r.chance(0.1)) {
      contentType = r.pick(CONTENT_TYPES)
      expectOk = false
      what += ` as ${clip(String(contentType), 40)}`
    }
  }
  else if (category === 'rich') {
    const made = richBody(r, target)
    ;({ body, what } = made)
    contentType = r.chance(0.9) ? 'application/vnd.femto+devalue' : r.pick(CONTENT_TYPES)
    expectOk = !!made.expectOk && path === target.route && contentType === 'application/vnd.femto+devalue'
    if (r.chance(0.5))
      extra.push('accept', 'application/vnd.femto+devalue')
  }
  else if (category === 'headers') {
    body = JSON.stringify(target.sample)
    const made = headerCase(r, target, host)
    what = made.what
    mayClose = !!made.mayClose
    if (made.contentType !== false)
      contentType = made.contentType
    extra.push(...made.headers)
    if (made.chunked)
      chunked = true
    if (made.replaceHost)
      base.length = 0
  }
  else {
    method = r.pick(METHODS_CLIENT)
    if (method === 'POST' || r.chance(0.5))
      path = oddPath(r, target.route)
    body = method === 'GET' || method === 'HEAD' ? (r.chance(0.2) ? JSON.stringify(target.sample) : undefined) : JSON.stringify(target.sample)
    if (method === 'OPTIONS' && r.chance(0.6)) {
      extra.push('access-control-request-method', 'POST')
      if (r.chance(0.7))
        extra.push('origin', r.pick(['http://evil.example', 'null', `http://${host}`, 'not a url']))
      if (r.chance(0.5))
        extra.push('access-control-request-headers', r.pick(['content-type', 'x-femto-contract, content-type', r.string(200)]))
    }
    what = 'method and path probe'
    // A path near or over the header limit is refused before any route is looked at.
    mayClose = path.length > HEADER_LIMIT / 2
  }

  const headers = [...base]
  if (contentType !== undefined)
    headers.push('content-type', contentType)
  headers.push(...extra)
  const buffer = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body)
  // Past the limit, the service answers 413 before it has read everything, and may close.
  if (buffer !== undefined && buffer.length > bodyLimit)
    mayClose = true
  if (buffer !== undefined) {
    if (chunked)
      headers.push('transfer-encoding', 'chunked')
    else
      headers.push('content-length', String(buffer.length))
  }
  if (headers.length >= 2 && headers.reduce((n, h) => n + h.length + 2, 0) > HEADER_LIMIT - 1024)
    mayClose = true
  return { kind: 'http', category, what: `${what}${chunked ? ' (chunked)' : ''}`, method, path, headers, body: buffer, chunked, mayClose, expectOk: expectOk && method === 'POST' }
}

/** Odd headers on an otherwise good call. */
function headerCase(r, target, host) {
  const kind = r.weighted([
    [4, 'content-type'],
    [3, 'huge-near'],
    [3, 'huge-over'],
    [2, 'many'],
    [3, 'duplicate'],
    [4, 'request-id'],
    [3, 'contract'],
    [3, 'accept'],
    [4, 'browser'],
    [3, 'trace'],
    [3, 'misc'],
    [2, 'chunked'],
  ])
  const headers = []
  switch (kind) {
    case 'content-type': {
      const ct = r.pick(CONTENT_TYPES)
      return { what: `content-type ${clip(String(ct), 60)}`, headers, contentType: ct }
    }
    case 'huge-near': {
      const size = r.int(8_000, 15_500)
      headers.push(`x-pad-${r.string(4)}`, 'p'.repeat(size))
      return { what: `a ${size}-byte header`, headers, contentType: false }
    }
    case 'huge-over': {
      const size = r.int(16_500, 80_000)
      headers.push(r.pick(['x-pad', 'cookie', 'x-request-id', 'accept', 'content-type']), 'p'.repeat(size))
      return { what: `a ${size}-byte header (over the limit)`, headers, contentType: false, mayClose: true }
    }
    case 'many': {
      const n = r.int(100, 3000)
      for (let i = 0; i < n; i++)
        headers.push(`x-h${i}`, r.string(r.int(1, 8)))
      return { what: `${n} headers`, headers, contentType: false, mayClose: true }
    }
    case 'duplicate': {
      const name = r.pick(['content-type', 'x-request-id', 'accept', 'x-femto-contract', 'authorization', 'origin', 'sec-fetch-site', 'cookie', 'traceparent', 'host', 'content-length'])
      const values = {
        'content-type': ['application/json', 'text/plain', 'application/vnd.femto+devalue'],
        'x-request-id': ['abc', 'def', 'a b'],
        'accept': ['application/vnd.femto+devalue', 'application/json'],
        'x-femto-contract': ['00000000', 'ffffffff'],
        'authorization': ['Bearer a', 'Basic b'],
        'origin': ['http://evil.example', `http://${host}`],
        'sec-fetch-site': ['same-origin', 'cross-site'],
        'cookie': ['a=1', '__proto__=x'],
        'traceparent': ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'],
        'host': [host, 'evil.example'],
        'content-length': ['0', '5'],
      }[name]
      for (let i = r.int(2, 4); i > 0; i--)
        headers.push(name, r.pick(values))
      // Duplicate host or content-length are refused by the HTTP parser itself.
      return { what: `duplicate ${name}`, headers, contentType: false, mayClose: name === 'host' || name === 'content-length', replaceHost: name === 'host' }
    }
    case 'request-id': {
      const length = r.pick([0, 1, 64, 128, 129, 1000, 8000])
      const id = r.string(length, r.pick(REQUEST_ID_ALPHABETS))
      headers.push('x-request-id', id)
      return { what: `x-request-id of ${length} odd chars`, headers, contentType: false }
    }
    case 'contract': {
      headers.push('x-femto-contract', r.pick(['', '0', 'ffffffff', r.string(r.int(1, 2000)), '\u00E9\u00E9', '../..', '{"a":1}']))
      return { what: `x-femto-contract garbage`, headers, contentType: false }
    }
    case 'accept': {
      headers.push('accept', r.pick(ACCEPTS))
      return { what: `accept variant`, headers, contentType: false }
    }
    case 'browser': {
      if (r.chance(0.8))
        headers.push('sec-fetch-site', r.pick(['cross-site', 'same-site', 'same-origin', 'none', 'garbage', '']))
      if (r.chance(0.6))
        headers.push('origin', r.pick(['http://evil.example', 'null', `http://${host}`, 'not a url', `http://${host}@evil.example`, 'http://[::1', `https://${'a'.repeat(3000)}.example`]))
      if (r.chance(0.3))
        headers.push('x-forwarded-host', r.pick(['evil.example', host, '', ',,,', 'a'.repeat(500)]))
      return { what: `browser headers ${clip(headers.join(' '), 80)}`, headers, contentType: false }
    }
    case 'trace': {
      const hex = n => r.string(n, '0123456789abcdef')
      const traceparent = r.pick([
        `00-${hex(32)}-${hex(16)}-01`,
        `00-${hex(32)}-${hex(16)}-00`,
        `00-${'0'.repeat(32)}-${hex(16)}-01`,
        `00-${hex(32)}-${'0'.repeat(16)}-01`,
        `ff-${hex(32)}-${hex(16)}-01`,
        `01-${hex(32)}-${hex(16)}-03-extra-fields`,
        `01-${hex(32)}-${hex(16)}-0fx`,
        `00-${hex(32).toUpperCase()}-${hex(16)}-01`,
        `00-${hex(32)}-${hex(16)}-01-`,
        `00-${hex(31)}-${hex(17)}-01`,
        `00-${hex(32)}-${hex(16)}-zz`,
        '',
        r.string(r.int(1, 3000), '0123456789abcdef-'),
      ])
      headers.push('traceparent', traceparent)
      if (r.chance(0.6)) {
        const tracestate = r.pick(['', ',,,', 'a=1', 'a=1,b=2,a=3', `${'k=v,'.repeat(r.int(1, 2000))}`, 'x'.repeat(r.int(500, 8000)), '\u00E9=\u00E9', r.string(r.int(1, 600), 'abc=,; \t')])
        for (let i = r.chance(0.3) ? 2 : 1; i > 0; i--)
          headers.push('tracestate', tracestate)
      }
      if (r.chance(0.2))
        headers.push('traceparent', `00-${hex(32)}-${hex(16)}-01`)
      return { what: `traceparent ${clip(traceparent, 60)}`, headers, contentType: false }
    }
    case 'chunked':
      return { what: 'a good call sent chunked', headers, contentType: false, chunked: true }
    default: {
      const name = r.pick(['authorization', 'cookie', 'traceparent', 'x-femto-edge', 'x-femto-authorization', 'expect', 'connection', 'te', 'range', 'if-none-match', 'content-encoding', 'upgrade', 'x-http-method-override', 'forwarded'])
      const value = r.pick(['Bearer ', 'Bearer x', 'Basic Og==', '100-continue', 'keep-alive', 'close', 'trailers', 'bytes=0-1', 'gzip', 'br', 'websocket', 'h2c', 'DELETE', '00-zz-zz-01', '__proto__=1; constructor=2', r.string(r.int(0, 300), 'abc;=, "\u00E9')])
      headers.push(name, value)
      return { what: `${name}: ${clip(value, 40)}`, headers, contentType: false, mayClose: name === 'expect' || name === 'upgrade' || name === 'connection' || name === 'content-encoding' }
    }
  }
}

/** Malformed HTTP, written to a socket as bytes. */
function rawCase(r, target, host) {
  const route = target.route
  const good = JSON.stringify(target.sample)
  const len = Buffer.byteLength(good)
  const head = (lines, body = '') => `${lines.join('\r\n')}\r\n\r\n${body}`
  const kind = r.weighted([
    [3, 'garbage'],
    [3, 'version'],
    [2, 'no-colon'],
    [2, 'bad-header-bytes'],
    [2, 'bare-lf'],
    [3, 'length-short'],
    [3, 'length-long'],
    [3, 'length-odd'],
    [2, 'te-and-cl'],
    [4, 'bad-chunks'],
    [3, 'slow-partial'],
    [2, 'pipeline'],
    [2, 'method'],
    [2, 'target'],
    [1, 'no-host'],
    [1, 'huge-line'],
    [1, 'upgrade'],
  ])
  switch (kind) {
    case 'garbage': {
      const data = r.chance(0.5) ? r.bytes(r.int(1, 400)) : Buffer.from(`${r.string(r.int(1, 200), 'ABCXYZ /:\t\r\n\u0000abc')}\r\n\r\n`, 'latin1')
      return { kind: 'raw', what: `garbage ${data.subarray(0, 16).toString('hex')}`, chunks: [data] }
    }
    case 'version': {
      const version = r.pick(['HTTP/9.9', 'HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1', 'HTTP/', 'HTTPS/1.1', 'http/1.1', 'HTTP/1.1 extra', 'HTTP/01.1', '', 'HTTP/1.10'])
      return { kind: 'raw', what: `version '${version}'`, chunks: [head([`POST ${route} ${version}`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`, 'Connection: close'], good)] }
    }
    case 'no-colon':
      return { kind: 'raw', what: 'a header without a colon', chunks: [head([`POST ${route} HTTP/1.1`, `Host: ${host}`, r.pick(['Content-Type application/json', 'X-Nothing', ': empty-name', 'Content-Type : application/json', ' leading-space: x']), `Content-Length: ${len}`, 'Connection: close'], good)] }
    case 'bad-header-bytes': {
      const value = r.pick(['a\u0000b', 'a\u0001b', 'a\u007Fb', 'a\rb', '\u00FF\u00FE', 'x\u0000'])
      const name = r.pick(['X-Request-Id', 'Content-Type', 'X-Femto-Contract', 'Accept', 'X\u0000Y', 'X Y', 'X(Y)'])
      return { kind: 'raw', what: `header bytes ${JSON.stringify(`${name}: ${value}`)}`, chunks: [Buffer.from(head([`POST ${route} HTTP/1.1`, `Host: ${host}`, `${name}: ${value}`, 'Content-Type: application/json', `Content-Length: ${len}`, 'Connection: close'], good), 'latin1')] }
    }
    case 'bare-lf':
      return { kind: 'raw', what: 'bare LF line ends', chunks: [`POST ${route} HTTP/1.1\nHost: ${host}\nContent-Type: application/json\nContent-Length: ${len}\nConnection: close\n\n${good}`] }
    case 'length-short': {
      const declared = r.int(0, Math.max(0, len - 1))
      return { kind: 'raw', what: `content-length ${declared} for a ${len}-byte body`, chunks: [head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${declared}`, 'Connection: close'], good + r.pick(['', 'GARBAGE\r\n\r\n', `\r\nPOST ${route} HTTP/1.1\r\n\r\n`]))] }
    }
    case 'length-long': {
      const declared = len + r.int(1, 10_000)
      return { kind: 'raw', what: `content-length ${declared} for a ${len}-byte body, then close`, chunks: [head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${declared}`], good)], closeAfterMs: r.int(5, 100) }
    }
    case 'length-odd': {
      const value = r.pick(['-1', 'abc', '1e3', '0x10', ' 5', '5 5', '99999999999999999999999', '18446744073709551616', `${len}, ${len}`, `${len},${len + 1}`, '', '+5'])
      const dup = r.chance(0.3) ? [`Content-Length: ${len + 1}`] : []
      return { kind: 'raw', what: `content-length '${value}'${dup.length > 0 ? ' twice' : ''}`, chunks: [head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${value}`, ...dup, 'Connection: close'], good)], closeAfterMs: 1000 }
    }
    case 'te-and-cl':
      return { kind: 'raw', what: 'transfer-encoding and content-length', chunks: [head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`, `Transfer-Encoding: ${r.pick(['chunked', 'chunked, chunked', 'gzip, chunked', 'identity', 'x'])}`, 'Connection: close'], `${len.toString(16)}\r\n${good}\r\n0\r\n\r\n`)], closeAfterMs: 1000 }
    case 'bad-chunks': {
      const size = len.toString(16)
      const body = r.pick([
        `zz\r\n${good}\r\n0\r\n\r\n`,
        `${size}\r\n${good}0\r\n\r\n`,
        `${(len + 5).toString(16)}\r\n${good}\r\n0\r\n\r\n`,
        `${size};ext=1;x\r\n${good}\r\n0\r\n\r\n`,
        `${size}\r\n${good}\r\n0\r\nTrailer: x\r\n\r\n`,
        `${size}\r\n${good}\r\n0\r\nBad Trailer\r\n\r\n`,
        `ffffffffffffffff\r\n${good}\r\n0\r\n\r\n`,
        `-1\r\n${good}\r\n0\r\n\r\n`,
        `${size} \r\n${good}\r\n0\r\n\r\n`,
        `${size}\n${good}\n0\n\n`,
        `${size}\r\n${good}\r\n`,
        `1\r\n[\r\n${(len - 1).toString(16)}\r\n${good.slice(1)}\r\n0\r\n\r\n`,
      ])
      const te = r.pick(['chunked', 'Chunked', 'chunked, gzip', 'gzip, chunked', 'chunked, chunked', 'chunked\u0000'])
      return { kind: 'raw', what: `chunked '${te}' ${JSON.stringify(clip(body.replace(good, '<body>'), 60))}`, chunks: [Buffer.from(head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Transfer-Encoding: ${te}`, 'Connection: close'], body), 'latin1')], closeAfterMs: 1000 }
    }
    case 'slow-partial': {
      const whole = head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`], good)
      const cut = r.int(1, whole.length - 1)
      const pieces = []
      for (let at = 0; at < cut;) {
        const step = r.int(1, 20)
        pieces.push(whole.slice(at, Math.min(cut, at + step)))
        at += step
      }
      return { kind: 'raw', what: `slow partial request, ${cut} of ${whole.length} bytes, closed early`, chunks: pieces.slice(0, 40), gapMs: r.int(0, 5), closeAfterMs: r.int(0, 50) }
    }
    case 'pipeline': {
      const one = head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`], good)
      const last = head([`POST ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`, 'Connection: close'], good)
      const middle = r.pick(['', one, 'GARBAGE\r\n\r\n', `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`, `GET /nope HTTP/1.1\r\nHost: ${host}\r\n\r\n`])
      return { kind: 'raw', what: `pipelined requests (${clip(middle, 20)})`, chunks: [one + middle + last] }
    }
    case 'method': {
      const method = r.pick(['FOO', 'post', 'P0ST', 'CONNECT', 'PRI', 'QUERY', 'GET\u0000', 'POST POST', '', 'ACL', 'BIND', 'M-SEARCH', 'SOURCE', 'PATCH', 'DELETE'])
      return { kind: 'raw', what: `method '${method}'`, chunks: [Buffer.from(head([`${method} ${route} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`, 'Connection: close'], good), 'latin1')], closeAfterMs: 1000 }
    }
    case 'target': {
      const t = r.pick([`http://${host}${route}`, '*', `${route} extra`, `${route}\u0000`, `${route}\t`, `${route}%00`, '', `//${host}${route}`, `${host}:80`, `/${'\u00E9'.repeat(10)}`, `${route}?a=\u0001`, `/${'x'.repeat(r.int(8000, 20_000))}`])
      return { kind: 'raw', what: `request target ${JSON.stringify(clip(t, 60))}`, chunks: [Buffer.from(head([`POST ${t} HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${len}`, 'Connection: close'], good), 'latin1')], closeAfterMs: 2000 }
    }
    case 'no-host': {
      const version = r.pick(['HTTP/1.1', 'HTTP/1.0'])
      return { kind: 'raw', what: `no host header (${version})`, chunks: [head([`POST ${route} ${version}`, 'Content-Type: application/json', `Content-Length: ${len}`, 'Connection: close'], good)] }
    }
    case 'huge-line': {
      const n = r.int(20_000, 100_000)
      return { kind: 'raw', what: `a ${n}-byte header line`, chunks: [head([`POST ${route} HTTP/1.1`, `Host: ${host}`, `X-Big: ${'b'.repeat(n)}`, 'Connection: close'], good)], closeAfterMs: 2000 }
    }
    default: {
      const proto = r.pick(['websocket', 'h2c', 'foo'])
      return { kind: 'raw', what: `upgrade: ${proto}`, chunks: [head([`${r.pick(['GET', 'POST'])} ${route} HTTP/1.1`, `Host: ${host}`, 'Connection: Upgrade, close', `Upgrade: ${proto}`, 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', 'Content-Type: application/json', `Content-Length: ${len}`], good)], closeAfterMs: 2000 }
    }
  }
}

function clip(text, max = 50) {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length})`
}

// ---------------------------------------------------------------------------------------------
// Sending

/**
 * Sends one HTTP case through `node:http`; resolves `{ statuses, body, error }`.
 * @param {URL} origin the service
 * @param {http.Agent} agent keep-alive connections for well-formed requests
 * @param {HttpCase} c the request
 */
export function sendHttp(origin, agent, c) {
  return new Promise((resolve) => {
    let settled = false
    const done = (result) => {
      if (!settled) {
        settled = true
        resolve(result)
      }
    }
    let req
    try {
      req = http.request({ hostname: origin.hostname, port: origin.port, method: c.method, path: c.path, headers: c.headers, agent: c.mayClose ? false : agent })
    }
    catch (error) {
      return done({ statuses: [], error: `client refused to send: ${error.code ?? error.message}` })
    }
    req.setTimeout(ANSWER_WAIT_MS, () => {
      done({ statuses: [], error: 'timeout', hung: true })
      req.destroy()
    })
    req.on('response', (res) => {
      const chunks = []
      let size = 0
      res.on('data', (chunk) => {
        if (size < 4096)
          chunks.push(chunk)
        size += chunk.length
      })
      res.on('end', () => done({ statuses: [res.statusCode], body: Buffer.concat(chunks).toString('utf8').slice(0, 4096) }))
      res.on('error', error => done({ statuses: [res.statusCode], error: error.code ?? error.message }))
    })
    req.on('error', error => done({ statuses: [], error: error.code ?? error.message }))
    if (c.body === undefined) {
      req.end()
    }
    else if (c.chunked) {
      // Several pieces, so the body really arrives in chunks.
      const pieces = Math.min(8, Math.max(1, Math.floor(c.body.length / 4)))
      const step = Math.ceil(c.body.length / pieces)
      for (let at = 0; at < c.body.length; at += step)
        req.write(c.body.subarray(at, at + step))
      req.end()
    }
    else {
      req.end(c.body)
    }
  })
}

/**
 * Writes a raw case to a socket and reads every answer until the server closes, the case's own
 * early close, or the wait runs out.
 * @param {URL} origin the service
 * @param {RawCase} c the request
 */
export function sendRaw(origin, c) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: origin.hostname, port: Number(origin.port) })
    let received = Buffer.alloc(0)
    let settled = false
    let error
    const timers = []
    const finish = (hung = false, early = false) => {
      if (settled)
        return
      settled = true
      for (const t of timers)
        clearTimeout(t)
      socket.destroy()
      const { statuses, bodies } = parseResponses(received)
      resolve({ statuses, body: bodies.find((_, i) => statuses[i] >= 500), error: error ?? (statuses.length === 0 && !early ? 'closed without an answer' : undefined), hung, early })
    }
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
    })
    socket.on('error', (e) => {
      error = e.code ?? e.message
    })
    socket.on('close', () => finish())
    socket.on('connect', async () => {
      for (const [i, chunk] of c.chunks.entries()) {
        if (settled || socket.destroyed)
          return
        socket.write(chunk)
        if (c.gapMs && i < c.chunks.length - 1)
          await new Promise(resolve => setTimeout(resolve, c.gapMs))
      }
      if (c.closeAfterMs !== undefined)
        timers.push(setTimeout(finish, c.closeAfterMs, false, true))
      else
        timers.push(setTimeout(finish, RAW_WAIT_MS, true))
    })
  })
}

/** The status of each HTTP/1.x response in `data` (informational ones included). */
export function parseResponses(data) {
  const statuses = []
  const bodies = []
  let at = 0
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at)
    if (end < 0)
      break
    const head = data.subarray(at, end).toString('latin1')
    const match = /^HTTP\/\d\.\d (\d{3})/.exec(head)
    if (!match)
      break
    const status = Number(match[1])
    statuses.push(status)
    at = end + 4
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
    if (status < 200 || status === 204 || status === 304) {
      bodies.push('')
      continue
    }
    if (length) {
      bodies.push(data.subarray(at, at + Number(length[1])).toString('utf8', 0, 4096))
      at += Number(length[1])
      continue
    }
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      let text = ''
      for (;;) {
        const line = data.indexOf('\r\n', at)
        if (line < 0)
          return { statuses, bodies: [...bodies, text] }
        const size = Number.parseInt(data.subarray(at, line).toString('latin1'), 16)
        if (!Number.isFinite(size))
          return { statuses, bodies: [...bodies, text] }
        text += data.subarray(line + 2, line + 2 + size).toString('utf8')
        at = line + 2 + size + 2
        if (size === 0)
          break
      }
      bodies.push(text)
      continue
    }
    // Neither: the body runs to the end of the connection.
    bodies.push(data.subarray(at).toString('utf8', 0, 4096))
    break
  }
  return { statuses, bodies }
}

function describeRequest(c) {
  if (c.kind === 'raw')
    return `raw: ${c.what}`
  return `${c.method} ${clip(c.path, 80)}: ${c.what}`
}

// ---------------------------------------------------------------------------------------------
// The run

/**
 * Sends `requests` malformed or hostile requests to the service at `url`, `concurrency` at a
 * time, then checks `/healthz` and a good call of every route.
 *
 * @param {object} options
 * @param {string} options.url the service's origin, e.g. `http://127.0.0.1:7879`
 * @param {number} options.requests how many requests to send
 * @param {number} [options.seed] PRNG seed (default: random; it is in the result, to replay the run)
 * @param {number} [options.concurrency]
 * @param {Record<string, unknown[]>} options.routes each function route with good arguments, e.g. `{ '/femto/add': [2, 3] }`
 * @param {number} [options.bodyLimit] the functions' body limit (default 1 MiB)
 * @param {(done: number) => void} [options.onProgress]
 */
export async function fuzzService({ url, requests, seed = (Math.random() * 2 ** 32) >>> 0, concurrency = 16, routes, bodyLimit = DEFAULT_BODY_LIMIT, onProgress }) {
  const origin = new URL(url)
  const host = origin.host
  const list = routeList(routes)
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
  const byStatus = {}
  const fiveXx = []
  // A network error on a well-formed request, a good call that did not answer 200, or no answer at all.
  const unexpected = []
  const hung = []
  let networkErrors = 0
  let closedEarly = 0
  const networkErrorSamples = []
  const byCategory = {}
  let sent = 0
  let next = 0
  const start = performance.now()

  const worker = async () => {
    while (next < requests) {
      const index = next++
      const c = generateCase(seed, index, list, { host, bodyLimit })
      const began = performance.now()
      const result = c.kind === 'raw' ? await sendRaw(origin, c) : await sendHttp(origin, agent, c)
      sent++
      const category = (byCategory[c.category] ??= { sent: 0, ms: 0 })
      category.sent++
      category.ms += performance.now() - began
      for (const status of result.statuses)
        byStatus[status] = (byStatus[status] ?? 0) + 1
      const serverError = result.statuses.find(s => s >= 500)
      if (serverError !== undefined)
        fiveXx.push({ index, request: describeRequest(c), status: serverError, body: (result.body ?? '').slice(0, 500) })
      if (result.early && result.statuses.length === 0)
        closedEarly++
      else if (result.error !== undefined && result.statuses.length === 0 && ++networkErrors <= 20)
        networkErrorSamples.push({ index, request: describeRequest(c), error: result.error })
      if (result.hung)
        hung.push({ index, request: describeRequest(c) })
      else if (c.kind === 'http' && result.statuses.length === 0 && !c.mayClose)
        unexpected.push({ index, request: describeRequest(c), problem: `no answer: ${result.error}` })
      else if (c.kind === 'http' && c.expectOk && result.statuses[0] !== 200 && !serverError)
        unexpected.push({ index, request: describeRequest(c), problem: `a good call answered ${result.statuses[0] ?? result.error}: ${clip(result.body ?? '', 200)}` })
      if (onProgress && sent % 1000 === 0)
        onProgress(sent)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, requests)) }, worker))
  const ms = Math.round(performance.now() - start)
  agent.destroy()
  const after = await checkAfter(url, list)
  for (const category of Object.values(byCategory))
    category.ms = Math.round(category.ms)
  return { sent, byStatus, networkErrors, networkErrorSamples, closedEarly, fiveXx, seed, ms, unexpected, hung, after, byCategory }
}

/** `GET /healthz`, and each route with its good arguments: what a healthy service answers. */
export async function checkAfter(url, routes) {
  const list = Array.isArray(routes) ? routes : routeList(routes)
  const health = await fetch(new URL('/healthz', url)).then(async res => ({ status: res.status, body: await res.text() }), error => ({ status: 0, body: String(error) }))
  const answers = {}
  for (const { route, sample } of list) {
    answers[route] = await fetch(new URL(route, url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample) })
      .then(async (res) => {
        const text = await res.text()
        let value
        try {
          value = JSON.parse(text)
        }
        catch {
          value = text
        }
        return { status: res.status, value }
      }, error => ({ status: 0, value: String(error) }))
  }
  const metrics = await fetch(new URL('/metrics', url)).then(async res => ({ status: res.status, bytes: (await res.text()).length }), error => ({ status: 0, bytes: 0, error: String(error) }))
  const healthy = health.status === 200 && Object.values(answers).every(a => a.status === 200)
  return { healthy, health, metrics, routes: answers }
}
