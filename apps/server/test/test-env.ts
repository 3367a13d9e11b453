import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { type Config, parseConfig } from '../src/config/config.js';

const subnetPools = parseEnv(readFileSync(new URL('./subnet-pools.env', import.meta.url), 'utf8'));

/** A subnet pool of the tests' instances, from test/subnet-pools.env (the scripts admit the same pools in pg_hba). */
export function testSubnetPool(name: 'STANDIN_SUBNET_POOL' | 'ODOO_SUBNET_POOL'): string {
  const pool = subnetPools[name];
  if (!pool) throw new Error(`test/subnet-pools.env has no ${name}`);
  return pool;
}

/** The RESOURCE_PREFIX of the instances on that pool (pg_hba admits its `<prefix>_instances` group from the pool). */
export function testResourcePrefix(name: 'STANDIN_RESOURCE_PREFIX' | 'ODOO_RESOURCE_PREFIX'): string {
  const prefix = subnetPools[name];
  if (!prefix) throw new Error(`test/subnet-pools.env has no ${name}`);
  return prefix;
}

/** Settings for tests: the real PostgreSQL and Redis that scripts/test.sh starts, on a database of their own. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig(testEnv(overrides));
}

/** The environment of a test platform (also given to worker processes that tests start). */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error('TEST_DATABASE_URL and TEST_REDIS_URL must be set: run the tests with `npm test` from the repository root.');
  }
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
    ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'silent',
    // Instances of the tests: the Odoo stand-in image, and their own pool, ports and prefix so they never meet the local platform's.
    ODOO_VERSIONS: '18.0=odoo-standin:18.0,17.0=odoo-standin:17.0',
    INSTANCE_SUBNET_POOL: testSubnetPool('STANDIN_SUBNET_POOL'),
    INSTANCE_PORT_BASE: '31000',
    RESOURCE_PREFIX: testResourcePrefix('STANDIN_RESOURCE_PREFIX'),
    // Tests never contact a registry: a missing image is an error at once.
    IMAGE_PULL: 'false',
    ORPHAN_GRACE_SECONDS: '0',
    // Firewall rules stay off the machine; test/integration/egress-policy.test.ts applies them to a pool of its own.
    EGRESS_POLICY: 'off',
    INSTANCE_HEALTH_TIMEOUT_SECONDS: '60',
    // API processes of tests run side by side: each one's metrics listener takes any free loopback port.
    METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
    // Tests read mail from the dev mailbox (loopback URLs only; a test with public URLs turns it off).
    DEV_MAILBOX: 'true',
    // Backups of tests: a directory of their own, encrypted as in production.
    BACKUP_DIR: '/tmp/saas-test-backups',
    BACKUP_WORK_DIR: '/tmp/saas-test-backup-work',
    BACKUP_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    ...overrides,
  };
}
