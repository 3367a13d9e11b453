import { type Config, parseConfig } from '../../src/config/config.js';
import { testEnv, testResourcePrefix, testSubnetPool } from '../test-env.js';

/**
 * Settings of the real-Odoo suite: its own database, Redis database, resource prefix, loopback ports and
 * subnet pool, so it never meets the stand-in suites; the Odoo images come from TEST_ODOO_IMAGES
 * (`17.0=odoo-local:17.0,18.0=odoo-local:18.0`, set by scripts/test.sh after it built or found them).
 */
export function odooEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const databaseUrl = process.env.TEST_ODOO_DATABASE_URL;
  const images = process.env.TEST_ODOO_IMAGES;
  if (!databaseUrl || !images) {
    throw new Error(
      'TEST_ODOO_DATABASE_URL and TEST_ODOO_IMAGES must be set: run the real-Odoo suite with `npm test` from the repository root.',
    );
  }
  return testEnv({
    DATABASE_URL: databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379/14',
    ODOO_VERSIONS: images,
    RESOURCE_PREFIX: testResourcePrefix('ODOO_RESOURCE_PREFIX'),
    INSTANCE_SUBNET_POOL: testSubnetPool('ODOO_SUBNET_POOL'),
    // Below the kernel's ephemeral range (32768+), where the tests' own nginx and sockets take their ports.
    INSTANCE_PORT_BASE: '32000',
    INSTANCE_HEALTH_TIMEOUT_SECONDS: '120',
    ...overrides,
  });
}

export const odooConfig = (overrides: Record<string, string> = {}): Config => parseConfig(odooEnv(overrides));

/** The versions under test, in the order of TEST_ODOO_IMAGES. */
export const odooVersions = () => odooConfig().odooVersions.map((v) => v.version);
