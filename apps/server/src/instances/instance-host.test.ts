import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/config.js';
import { instanceRoute } from './instance-context.js';
import type { InstanceRow } from './instances.repo.js';
import { instanceHost, instanceUrl } from './instances.service.js';

const env = {
  DATABASE_URL: 'postgres://saas:pw@127.0.0.1:5432/saas',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  JWT_SECRET: 'dev-only-signing-key-that-is-long-enough-0123',
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  PUBLIC_URL: 'http://localhost:8080',
};

const row = (slug: string, nodeAddress: string | null = null) =>
  ({
    id: '0b6f5a6e-8d4c-4a53-9d0b-3f1f7c2f2a10',
    slug,
    slot: 3,
    status: 'running',
    limits: { workers: 0 },
    nodeAddress,
  }) as unknown as InstanceRow;

describe('instance host names', () => {
  it('are <slug>.<platform host> by default (local mode), keeping the public port', () => {
    const config = parseConfig(env);
    expect(config.instanceDomain).toBe('localhost');
    expect(instanceUrl(config, 'acme')).toBe('http://acme.localhost:8080');
    expect(instanceRoute(config, row('acme')).hosts).toEqual(['acme.localhost']);
  });

  it('use INSTANCE_BASE_DOMAIN for the URL and the edge server_name when it is set', () => {
    const config = parseConfig({ ...env, INSTANCE_BASE_DOMAIN: 'odoo-customers.example.net' });
    expect(config.baseDomain).toBe('localhost');
    expect(instanceHost(config, 'acme')).toBe('acme.odoo-customers.example.net');
    expect(instanceUrl(config, 'acme')).toBe('http://acme.odoo-customers.example.net:8080');
    expect(instanceRoute(config, row('acme')).hosts).toEqual(['acme.odoo-customers.example.net']);
    const tls = parseConfig({ ...env, PUBLIC_URL: 'https://cloud.localhost', INSTANCE_BASE_DOMAIN: 'example-odoo.net' });
    expect(instanceUrl(tls, 'acme')).toBe('https://acme.example-odoo.net');
  });

  it.each(['Odoo.example.net', '*.example.net', 'example.net;', 'example.net:443', '10.0.0.1', ' example.net'])(
    'refuses INSTANCE_BASE_DOMAIN=%j',
    (value) => {
      expect(() => parseConfig({ ...env, INSTANCE_BASE_DOMAIN: value })).toThrow(ConfigError);
    },
  );

  it('route to the published ports on this host, or on the node a swarm runs the instance on', () => {
    const config = parseConfig({ ...env, INSTANCE_PORT_BASE: '20000' });
    expect(instanceRoute(config, row('acme')).upstream).toEqual({ http: '127.0.0.1:20006', websocket: '127.0.0.1:20006' });
    const prefork = { ...row('acme', '10.0.4.12'), limits: { workers: 2 } } as unknown as InstanceRow;
    expect(instanceRoute(config, prefork).upstream).toEqual({ http: '10.0.4.12:20006', websocket: '10.0.4.12:20007' });
  });
});
