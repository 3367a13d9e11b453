import { defineConfig } from 'vitest/config';
import { longFirst } from './test/long-first-sequencer.js';

/**
 * The browser suite (test/e2e): Chromium through a private nginx against the real API, worker and
 * engine. Run after `npm run build` (it serves apps/web/dist and apps/admin/dist).
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/e2e/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 90_000,
    // Each file has its own platform, nginx and browser; two at a time on two cores.
    maxWorkers: 2,
    // Every admin screen at two widths, the longest file, starts first rather than last (it is short to read).
    sequence: { sequencer: longFirst(['test/e2e/admin-screens.e2e.test.ts']) },
  },
});
