import Docker from 'dockerode';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Config } from '../../src/config/config.js';
import { createDatabase } from '../../src/db/client.js';
import { LABELS } from '../../src/instances/instance-names.js';
import { prepareDatabase } from '../../src/platform.js';

/**
 * Removes everything a test platform (RESOURCE_PREFIX of the tests) left in the engine and on the
 * database server: an interrupted run must not make the next one collide with its networks or names.
 */
export async function purgeTestResources(config: Config) {
  const docker = new Docker({ socketPath: config.dockerSocket });
  const filters = { label: [`${LABELS.platform}=${config.resourcePrefix}`] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) {
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  }
  const { Volumes = [] } = await docker.listVolumes({ filters });
  for (const v of Volumes)
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);

  const client = new pg.Client({ connectionString: config.tenantDbAdminUrl });
  await client.connect();
  try {
    const pattern = `${config.resourcePrefix}\\_%`;
    const dbs = await client.query('select datname from pg_database where datname like $1', [pattern]);
    for (const { datname } of dbs.rows as { datname: string }[]) {
      await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
    }
    const roles = await client.query('select rolname from pg_roles where rolname like $1', [pattern]);
    for (const { rolname } of roles.rows as { rolname: string }[]) {
      await client.query(`drop role if exists ${pg.escapeIdentifier(rolname)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * A test platform's fresh start (once per run of a suite): nothing left in the engine or on the database
 * server from an earlier run, its database emptied, migrated and seeded, its Redis database empty.
 */
export async function resetTestPlatform(config: Config) {
  await purgeTestResources(config);
  // An empty platform database: an earlier suite's rows (an instance left half-way through an operation) would
  // otherwise be this suite's to reconcile, its worker queueing jobs for instances no test of it owns.
  const owner = new pg.Client({ connectionString: config.databaseUrl });
  await owner.connect();
  try {
    await owner.query(
      'set client_min_messages = warning; drop schema if exists drizzle cascade; drop schema public cascade; create schema public',
    );
  } finally {
    await owner.end();
  }
  const database = createDatabase(config.databaseUrl, 2);
  await prepareDatabase({ database, config });
  await database.close();
  const redis = new Redis(config.redisUrl);
  await redis.flushdb();
  redis.disconnect();
}

/** Creates a database of a test file's own on the test server, dropping any left by an earlier run (`drop`: only drops it). */
export async function recreateTestDatabase(name: string, options: { drop?: boolean } = {}) {
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    if (!options.drop) await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
