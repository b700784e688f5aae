import { defineConfig } from 'vitest/config'

// Four projects, from fast to slow: `npx vitest --project unit` needs no `dist/` and starts no process.
// The others run the package as it ships too (the CLI, `unplugin-femto/*` in fixtures, the bench):
// they build `dist/` first, unless it is newer than the sources.
const buildDist = ['test/build-dist.ts']

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // A poll waits on a file watcher or a process: under a loaded CI machine 1 s (the default) is too short.
    expect: { poll: { timeout: 10_000 } },
    // Each integration and e2e file builds fixtures and starts real processes; two cores, so keep files few at once.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: buildDist } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: buildDist } },
      { extends: true, test: { name: 'bench', include: ['test/bench/**/*.test.ts'], globalSetup: buildDist } },
    ],
  },
})
