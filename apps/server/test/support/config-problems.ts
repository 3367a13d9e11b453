import { expect } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/config.js';

/** The least environment the platform accepts (development; every other setting takes its default). */
export const MINIMAL_ENV = {
  DATABASE_URL: 'postgres://saas:pw@127.0.0.1:5432/saas',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  JWT_SECRET: 'dev-only-signing-key-that-is-long-enough-0123',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
};

/** The problems a ConfigError lists for `env`, or fails when parsing succeeds or throws something else. */
export function configProblems<E>(env: E, parse: (env: E) => unknown = parseConfig as (env: E) => unknown): string[] {
  try {
    parse(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
