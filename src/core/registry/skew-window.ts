// The `skewWindow` option, read when the options are: a small module of its own, so that
// reading the options does not load the build's skew handling (build/skew.ts) with them.

/** 24 hours: see the `skewWindow` option. */
export const DEFAULT_SKEW_WINDOW_MS = 24 * 60 * 60 * 1000

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `skewWindow` in ms: a number of ms, or `'30s'`, `'90m'`, `'24h'`, `'7d'`; 0 keeps no previous version. */
export function resolveSkewWindow(value: number | string | undefined): number {
  if (value === undefined)
    return DEFAULT_SKEW_WINDOW_MS
  const match = typeof value === 'number' ? [String(value), String(value), 'ms'] : /^(\d+(?:\.\d+)?)\s*(ms|[smhd])$/.exec(value.trim())
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : Number.NaN
  if (!Number.isFinite(ms) || ms < 0)
    throw new Error(`[unplugin-femto] skewWindow: ${JSON.stringify(value)} is not a duration; give ms (86400000) or a string such as '24h', '90m', '30s', or 0 to keep no previous version`)
  return ms
}
