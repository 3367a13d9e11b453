import { Redis } from 'ioredis';
import { createDatabase, runMigrations } from '../src/db/client.js';
import { testConfig } from './test-env.js';

/** Migrates the (freshly created) test database once and empties the test Redis database. */
export default async function setup() {
  const config = testConfig();
  const database = createDatabase(config.databaseUrl, 1);
  await runMigrations(database.db);
  await database.close();
  const redis = new Redis(config.redisUrl);
  await redis.flushdb();
  redis.disconnect();
}
