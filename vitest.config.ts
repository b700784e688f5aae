import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Each e2e file builds fixtures and starts real processes; two cores, so keep files few at once.
    maxWorkers: 2,
  },
})
