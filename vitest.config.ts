import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on 2 cores, one file at a time. Most files
    // wait on child processes, workflows and sockets, so three at once keep both cores busy (measured on
    // 2 cores: 226 s with one worker, 163 s with two when the suite was smaller; with the lifecycle
    // issue's tests, 253 s with two and 206 s with three).
    maxWorkers: 3,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
