export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = q => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { min: sorted[0], median: at(0.5), max: sorted.at(-1), p99: at(0.99), mean: values.reduce((s, v) => s + v, 0) / values.length, n: values.length }
}

export const ratio = (femto, baseline) => femto / baseline
