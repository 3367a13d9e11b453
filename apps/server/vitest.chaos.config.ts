import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (test/chaos): restarts the machine's PostgreSQL, Redis, Docker engine and a private nginx,
 * and SIGKILLs the API and the worker, under the built platform (`dist/`, run after `npm run build`) while
 * instances provision and a request load runs. Everything else on the machine breaks meanwhile, so it runs
 * on its own after the other suites, one file at a time.
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
