import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (test/chaos): restarts the machine's PostgreSQL, Redis and Docker engine under real API
 * and worker processes (from dist/: run after `npm run build`). Everything else on the machine breaks
 * meanwhile, so it runs on its own after the other suites, one file at a time.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
