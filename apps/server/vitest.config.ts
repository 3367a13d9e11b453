import { defineConfig } from 'vitest/config';
import { longFirst } from './test/long-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The browser, real-Odoo, chaos and swarm suites have their own configs (vitest.{e2e,odoo,chaos,swarm}.config.ts).
    exclude: ['test/e2e/**', 'test/odoo/**', 'test/chaos/**', 'test/swarm/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run two at a time; each file uses its own users, IPs and queue prefix.
    maxWorkers: 2,
    // Files of one to three minutes start first, so that none of them ends the run alone.
    sequence: {
      sequencer: longFirst([
        'test/integration/backups-crash.test.ts',
        'test/integration/hostile-input.test.ts',
        'test/integration/instances-crash.test.ts',
      ]),
    },
  },
});
