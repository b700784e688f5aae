import antfu from '@antfu/eslint-config'

export default antfu({
  ignores: ['**/dist/**', 'test/fixtures/**', 'test/**/__snapshots__/**', 'bench/RESULTS.md', '.library/**'],
  rules: {
    'no-console': 'off',
    'node/prefer-global/process': 'off',
    'node/prefer-global/buffer': 'off',
    // V8 shares the compiled code of a regex literal across evaluations; hot paths are benchmarked instead.
    'e18e/prefer-static-regex': 'off',
    // Its autofix turns `Array.from({ length }, () => f())` into `.fill(f())`: one call, not n.
    'e18e/prefer-array-fill': 'off',
  },
}, {
  // Benchmarks are scripts run top to bottom.
  files: ['bench/**'],
  rules: { 'antfu/no-top-level-await': 'off' },
})
