import { describe, expect, it } from 'vitest'
import { measureLogger, measureMetrics, measureSchemaDerivation, measureTrace, measureValidator, metricsInputs } from '../../bench/workloads'

// What `npm run bench` times must be the path it claims to time: a workload that fell onto an
// error path would still report a number. Their timings are never checked here.
describe('the benchmark workloads', () => {
  it('schema derivation: the generated project derives without a warning, in one module per ten functions', async () => {
    const [measurement] = await measureSchemaDerivation({ counts: [12] })
    expect(measurement).toMatchObject({ functions: 12, files: 2, warnings: 0 })
  })

  it('argument checks: the measured arguments pass the generated checks (it throws otherwise)', () => {
    const measured = measureValidator(10)
    expect(measured.map(m => m.name)).toEqual(['(a: number, b: number)', '(order: Order) with 5 fields and 3 lines'])
    for (const m of measured)
      expect(m.codeBytes).toBeGreaterThan(0)
  })

  it('metrics: the same inputs on every run, so that runs compare, with each kind of status', () => {
    expect(metricsInputs()).toEqual(metricsInputs())
    const { statuses } = metricsInputs()
    expect(new Set(statuses)).toEqual(new Set([200, 400, 500, 499]))
    const measured = measureMetrics(1_000)
    expect(measured.functions).toBe(10)
    expect(measured.renderBytes).toBeGreaterThan(0)
  })

  it('log lines and trace context run in both formats and both cases', () => {
    const lines = measureLogger(100)
    const traces = measureTrace(100)
    for (const ns of [lines.json, lines.pretty, traces.present, traces.absent])
      expect(Number.isFinite(ns)).toBe(true)
  })
})
