import { femtoRuntimeEnv } from './env'

// Not `import … from 'node:fs'`: its ES module face reads every export, loading fs/promises and fs streams at start-up.
const { writeSync } = process.getBuiltinModule('node:fs')

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
type Level = Exclude<LogLevel, 'silent'>

export interface RequestRecord {
  service: string
  function: string
  requestId: string
  traceId: string
  spanId: string
  parentSpanId?: string
  status: number
  durationMs: number
  /** The error code of a non-2xx answer. */
  code?: string
}

export interface Logger {
  readonly level: LogLevel
  enabled: (level: Level) => boolean
  /** One line per answered request, at level info (warn for 5xx). */
  request: (record: RequestRecord) => void
  log: (level: Level, message: string, fields?: Record<string, unknown>) => void
  /** Writes what is buffered now, synchronously: for exit and shutdown. */
  flush: () => void
}

export interface LoggerOptions {
  service: string
  /** Default: `FEMTO_LOG_LEVEL`, else `info`. */
  level?: LogLevel
  /** Default: `FEMTO_LOG_FORMAT`, else `pretty` on a terminal and `json` anywhere else (and for a custom `write`). */
  format?: 'json' | 'pretty'
  /** Where lines go, in chunks of whole lines; default standard output. */
  write?: (chunk: string) => void
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }
// Past this many characters the buffer is written at once rather than at the end of the turn.
const BUFFER_LIMIT = 64 * 1024

export function createLogger(options: LoggerOptions): Logger {
  const env = femtoRuntimeEnv
  const warnings: string[] = []
  const level = options.level ?? levelFrom(env.FEMTO_LOG_LEVEL, warnings)
  const sink = options.write ? customSink(options.write) : stdoutSink()
  const format = options.format ?? formatFrom(env.FEMTO_LOG_FORMAT, warnings) ?? (options.write || !process.stdout.isTTY ? 'json' : 'pretty')
  const colors = format === 'pretty' && !options.write && process.stdout.isTTY === true && !env.NO_COLOR
  const threshold = RANK[level]
  const lines = format === 'json' ? jsonLines(options.service) : prettyLines(colors)

  let buffer = ''
  let scheduled = false
  // Many requests answered in one turn of the event loop share one write.
  const drain = (): void => {
    scheduled = false
    if (buffer.length === 0)
      return
    const chunk = buffer
    buffer = ''
    sink.write(chunk)
  }
  const push = (line: string): void => {
    buffer += line
    if (buffer.length > BUFFER_LIMIT)
      return drain()
    if (!scheduled) {
      scheduled = true
      setImmediate(drain)
    }
  }

  const logger: Logger = {
    level,
    enabled: which => RANK[which] >= threshold,
    request: (record) => {
      const which = record.status >= 500 ? 'warn' : 'info'
      if (RANK[which] >= threshold)
        push(lines.request(which, record))
    },
    log: (which, message, fields) => {
      if (RANK[which] >= threshold)
        push(lines.message(which, message, fields))
    },
    flush: () => {
      if (buffer.length === 0)
        return
      const chunk = buffer
      buffer = ''
      sink.writeSync(chunk)
    },
  }
  for (const warning of warnings)
    logger.log('warn', warning)
  return logger
}

function levelFrom(value: string | undefined, warnings: string[]): LogLevel {
  if (value === undefined || value === '')
    return 'info'
  const level = value.trim().toLowerCase()
  if (Object.hasOwn(RANK, level))
    return level as LogLevel
  warnings.push(`FEMTO_LOG_LEVEL=${JSON.stringify(value)} is not one of debug, info, warn, error, silent; logging at info`)
  return 'info'
}

function formatFrom(value: string | undefined, warnings: string[]): 'json' | 'pretty' | undefined {
  if (value === undefined || value === '')
    return undefined
  const format = value.trim().toLowerCase()
  if (format === 'json' || format === 'pretty')
    return format
  warnings.push(`FEMTO_LOG_FORMAT=${JSON.stringify(value)} is not json or pretty; choosing by the output`)
  return undefined
}

// --- Sinks -----------------------------------------------------------------------------------

interface Sink {
  write: (chunk: string) => void
  writeSync: (chunk: string) => void
}

function customSink(write: (chunk: string) => void): Sink {
  // A broken sink must not break the request that happened to fill the buffer.
  const safe = (chunk: string): void => {
    try {
      write(chunk)
    }
    catch {}
  }
  return { write: safe, writeSync: safe }
}

function stdoutSink(): Sink {
  return {
    write: chunk => process.stdout.write(chunk),
    writeSync: (chunk) => {
      // Whatever the stream still holds goes first, or lines would come out of order.
      if (process.stdout.writableLength > 0)
        return void process.stdout.write(chunk)
      writeAllSync(1, chunk)
    },
  }
}

let pause: Int32Array | undefined

/** `fs.writeSync` to a descriptor that may be a non-blocking pipe: partial writes and EAGAIN are retried. */
function writeAllSync(fd: number, chunk: string): void {
  const bytes = Buffer.from(chunk)
  let offset = 0
  let retries = 0
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset)
    }
    catch (error) {
      // A full pipe empties as its reader reads (wait a millisecond, up to a second in all);
      // a reader that is gone (EPIPE) never will.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > 1000)
        return
      Atomics.wait(pause ??= new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1)
    }
  }
}

// --- Time ------------------------------------------------------------------------------------

// Formatting a Date costs more than the rest of a line: the part down to the second is kept
// and only the milliseconds are written per line.
let isoSecond = Number.NaN
let isoPrefix = ''
let localSecond = Number.NaN
let localPrefix = ''

function millis(ms: number): string {
  return ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`
}

/** `2024-05-01T12:04:05.123Z` */
function isoTime(now: number): string {
  const second = Math.floor(now / 1000)
  if (second !== isoSecond) {
    isoSecond = second
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20)
  }
  return `${isoPrefix}${millis(now - second * 1000)}Z`
}

/** `12:04:05.123`, local time. */
function localTime(now: number): string {
  const second = Math.floor(now / 1000)
  if (second !== localSecond) {
    localSecond = second
    const date = new Date(second * 1000)
    localPrefix = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}.`
  }
  return `${localPrefix}${millis(now - second * 1000)}`
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`
}

// --- Lines -----------------------------------------------------------------------------------

interface Lines {
  request: (level: Level, record: RequestRecord) => string
  message: (level: Level, message: string, fields: Record<string, unknown> | undefined) => string
}

const RESERVED = new Set(['time', 'level', 'service', 'msg'])

/**
 * One JSON object per line, built by concatenation rather than `JSON.stringify` of an object:
 * the fixed parts are made once per logger, and only string values are escaped (`quote`).
 */
function jsonLines(service: string): Lines {
  const head = (level: Level): string => `","level":"${level}","service":${JSON.stringify(service)},"msg":`
  const heads: Record<Level, string> = { debug: head('debug'), info: head('info'), warn: head('warn'), error: head('error') }
  const requestHead = (level: Level, name: string): string => `","level":"${level}","service":${JSON.stringify(name)},"msg":"request","function":`
  const requestHeads: Record<Level, string> = { debug: '', info: requestHead('info', service), warn: requestHead('warn', service), error: '' }
  // Services serve one function, or a few: their names' JSON is made once.
  let lastFunction = ''
  let lastFunctionJson = '""'
  return {
    request: (level, r) => {
      if (r.function !== lastFunction) {
        lastFunction = r.function
        lastFunctionJson = JSON.stringify(r.function)
      }
      // A record of another service than the logger's (a group's member, say) keeps its own name.
      const head = r.service === service ? requestHeads[level] : requestHead(level, r.service)
      let line = `{"time":"${isoTime(Date.now())}${head}${lastFunctionJson},"requestId":${quote(r.requestId)},"traceId":${quote(r.traceId)},"spanId":${quote(r.spanId)}`
      if (r.parentSpanId !== undefined)
        line += `,"parentSpanId":${quote(r.parentSpanId)}`
      line += `,"status":${Number.isFinite(r.status) ? r.status : 'null'},"durationMs":${hundredths(r.durationMs)}`
      if (r.code !== undefined)
        line += `,"code":${quote(r.code)}`
      return `${line}}\n`
    },
    message: (level, message, fields) => {
      let line = `{"time":"${isoTime(Date.now())}${heads[level]}${JSON.stringify(message)}`
      if (fields) {
        for (const key in fields) {
          const value = jsonValue(fields[key])
          // A field named like one of the line's own keys must not make a second `time` or `level`.
          if (value !== undefined)
            line += `,${JSON.stringify(RESERVED.has(key) ? `fields.${key}` : key)}:${value}`
        }
      }
      return `${line}}\n`
    },
  }
}

// Printable ASCII but `"` and `\`: such a string is its own JSON between quotes. Ids and codes
// always are, and this test costs about half of `JSON.stringify`.
const PLAIN = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/

function quote(value: string): string {
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value)
}

/** A duration rounded to 0.01 as JSON, from integers: formatting a fraction costs 4 times more. */
function hundredths(ms: number): string {
  if (!Number.isFinite(ms))
    return 'null'
  const n = Math.round(Math.abs(ms) * 100)
  const sign = ms < 0 && n > 0 ? '-' : ''
  const fraction = n % 100
  const whole = (n - fraction) / 100
  return fraction === 0 ? `${sign}${whole}` : `${sign}${whole}.${fraction < 10 ? '0' : ''}${fraction % 10 === 0 ? fraction / 10 : fraction}`
}

/** A field's JSON; errors keep their name, message, code and stack, and nothing makes it throw. */
function jsonValue(value: unknown): string | undefined {
  if (value instanceof Error)
    value = { name: value.name, message: value.message, code: (value as NodeJS.ErrnoException).code, stack: value.stack }
  try {
    return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
  }
  catch {
    return JSON.stringify(String(value))
  }
}

const COLOR = { gray: '\x1B[90m', green: '\x1B[32m', yellow: '\x1B[33m', red: '\x1B[31m', reset: '\x1B[39m' }
const LEVEL_COLOR: Record<Level, string> = { debug: COLOR.gray, info: COLOR.green, warn: COLOR.yellow, error: COLOR.red }
const LABEL: Record<Level, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' }

/** For a person at a terminal: `12:04:05.123 INFO  add 200 0.42 ms req=abc trace=4bf92f35…`. */
function prettyLines(colors: boolean): Lines {
  const paint = colors ? (color: string, text: string): string => `${color}${text}${COLOR.reset}` : (_: string, text: string): string => text
  const label = (level: Level): string => paint(LEVEL_COLOR[level], LABEL[level])
  return {
    request: (level, r) => {
      const status = paint(r.status >= 500 ? COLOR.red : r.status >= 400 ? COLOR.yellow : COLOR.green, `${r.status}`)
      const code = r.code === undefined ? '' : ` ${paint(COLOR.red, r.code)}`
      return `${paint(COLOR.gray, localTime(Date.now()))} ${label(level)} ${r.function} ${status}${code} ${r.durationMs.toFixed(2)} ms ${paint(COLOR.gray, `req=${r.requestId} trace=${r.traceId.slice(0, 8)}…`)}\n`
    },
    message: (level, message, fields) => {
      let line = `${paint(COLOR.gray, localTime(Date.now()))} ${label(level)} ${message}`
      // An error's stack reads best on lines of its own, under the line it belongs to.
      let stacks = ''
      if (fields) {
        for (const key in fields) {
          const value = fields[key]
          if (value instanceof Error)
            stacks += `\n${paint(COLOR.gray, indent(value.stack ?? `${value.name}: ${value.message}`))}`
          else if (value !== undefined)
            line += ` ${paint(COLOR.gray, `${key}=`)}${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : jsonValue(value)}`
        }
      }
      return `${line}${stacks}\n`
    },
  }
}

function indent(text: string): string {
  return `  ${text.replaceAll('\n', '\n  ')}`
}
