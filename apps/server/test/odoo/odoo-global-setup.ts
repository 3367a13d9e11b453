import { purgeTestResources, resetTestPlatform } from '../support/purge.js';
import { odooConfig } from './odoo-env.js';

/** Once per run of the real-Odoo suite: nothing left from an earlier run, a migrated database, an empty Redis database. */
export default async function setup() {
  const config = odooConfig();
  await resetTestPlatform(config);
  return () => purgeTestResources(config);
}
