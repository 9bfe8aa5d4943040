import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: on 2 cores, one file at a time. Most
    // files wait on child processes, workflows and sockets, so two at once keep both cores busy
    // (npm test: 226 s with one worker, 163 s with two, measured on 2 cores).
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
