import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The browser suite and the real-Odoo suite have their own configs (vitest.e2e.config.ts, vitest.odoo.config.ts).
    exclude: ['test/e2e/**', 'test/odoo/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run two at a time; each file uses its own users, IPs and queue prefix.
    maxWorkers: 2,
  },
});
