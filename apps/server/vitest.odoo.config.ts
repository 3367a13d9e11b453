import { defineConfig } from 'vitest/config';

/**
 * The real-Odoo acceptance suite (test/odoo): the platform against Odoo 17.0 and 18.0 images built from
 * Odoo's source (deploy/odoo-image) or the official ones, on a database, prefix, ports and subnet pool of
 * its own. `npm run test:odoo`; scripts/test.sh provides the images and TEST_ODOO_* settings.
 */
export default defineConfig({
  test: {
    include: ['test/odoo/**/*.odoo.test.ts'],
    // The browser journey's network namespace goes at the end too (test/e2e/global-setup.ts).
    globalSetup: ['test/odoo/odoo-global-setup.ts', 'test/e2e/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Real Odoo processes on two cores: one file at a time.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
