import { Redis } from 'ioredis';
import { createDatabase } from '../../src/db/client.js';
import { prepareDatabase } from '../../src/platform.js';
import { purgeTestResources } from '../support/purge.js';
import { odooConfig } from './odoo-env.js';

/** Once per run of the real-Odoo suite: nothing left from an earlier run, a migrated database, an empty Redis database. */
export default async function setup() {
  const config = odooConfig();
  await purgeTestResources(config);
  const database = createDatabase(config.databaseUrl, 1);
  await prepareDatabase({ db: database.db, config });
  await database.close();
  const redis = new Redis(config.redisUrl);
  await redis.flushdb();
  redis.disconnect();
  return () => purgeTestResources(config);
}
