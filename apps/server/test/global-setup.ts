import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { purgeTestResources, resetTestPlatform } from './support/purge.js';
import { testConfig } from './test-env.js';

/**
 * Once per test run: clear what an earlier run left in the engine and on the database server,
 * migrate the (freshly created) test database, empty the test Redis database, and build the Odoo
 * stand-in images the instance tests run (a local test fixture, not Odoo).
 */
export default async function setup() {
  const config = testConfig();
  await resetTestPlatform(config);
  execFileSync(fileURLToPath(new URL('./fixtures/odoo-standin/build-image.sh', import.meta.url)), ['17.0', '18.0'], { stdio: 'inherit' });
  // And after the run, nothing stays behind.
  return () => purgeTestResources(config);
}
