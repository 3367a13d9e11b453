import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/config.js';
import { platformSettings, withoutCredentials } from './platform-settings.js';
import { platformSettingsSchema } from './system-admin.schemas.js';

/** Every secret the environment can hold, each with a value distinctive enough to find anywhere in the output. */
const secrets = {
  JWT_SECRET: `jwtvalue${randomBytes(24).toString('hex')}`,
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  BACKUP_ENCRYPTION_PREVIOUS_KEYS: randomBytes(32).toString('base64'),
  BACKUP_S3_ACCESS_KEY_ID: 'AKIAACCESSKEYSECRET1',
  BACKUP_S3_SECRET_ACCESS_KEY: 's3secretaccesskey/abcdefXYZ0123',
  STRIPE_SECRET_KEY: 'sk_live_stripesecretkey0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_webhooksecret0123456789',
  ALERTMANAGER_WEBHOOK_TOKEN: 'alertmanagerwebhooktoken0123',
};
const passwords = ['dbpassword-0123', 'tenantdbpassword-0123', 'smtppassword-0123', 'redispassword-0123', 'prompassword-0123'];

const env = {
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://cloud.example.com',
  ADMIN_URL: 'https://admin.cloud.example.com',
  DATABASE_URL: `postgres://saas:${passwords[0]}@db.internal:5432/saas`,
  TENANT_DB_ADMIN_URL: `postgres://admin:${passwords[1]}@db.internal:5432/postgres`,
  SMTP_URL: `smtps://mailer:${passwords[2]}@smtp.example.com:465`,
  REDIS_URL: `redis://:${passwords[3]}@redis.internal:6379/0`,
  PROMETHEUS_URL: `https://metrics:${passwords[4]}@prometheus.internal:9090/?token=querytoken0123`,
  BACKUP_STORAGE: 's3',
  BACKUP_S3_BUCKET: 'saas-backups',
  BACKUP_S3_ENDPOINT: 'https://s3.example.com',
  STAFF_TWO_FACTOR: 'required',
  ...secrets,
};

describe('platformSettings', () => {
  const config = parseConfig(env);
  const settings = platformSettings(config);
  const text = JSON.stringify(settings);

  it('contains no secret value, password or credential of the configuration', () => {
    // Guards the test itself: the config really holds each of them.
    expect(JSON.stringify({ ...config, encryptionKey: config.encryptionKey.toString('base64') })).toContain(secrets.JWT_SECRET);
    for (const [name, value] of Object.entries(secrets)) expect(text, name).not.toContain(value);
    for (const password of passwords) expect(text).not.toContain(password);
    expect(text).not.toContain('querytoken0123');
    expect(text).not.toMatch(/postgres(ql)?:\/\//);
    expect(text).not.toMatch(/smtps?:\/\//);
    expect(text).not.toMatch(/redis:\/\//);
    // Nor the binary keys in another encoding.
    for (const key of [config.encryptionKey, config.backups.storage.encryptionKey]) {
      if (!key) continue;
      for (const encoding of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(key.toString(encoding));
    }
  });

  it('shows the effective non-secret settings, matching its documented schema', () => {
    expect(platformSettingsSchema.parse(settings)).toEqual(settings);
    expect(settings).toMatchObject({
      mode: 'production',
      domains: { publicUrl: 'https://cloud.example.com', instanceDomain: 'cloud.example.com' },
      edge: { router: 'nginx', tls: true, acmeDirectoryUrl: 'https://acme-v02.api.letsencrypt.org/directory' },
      billing: { provider: 'stripe', currency: 'eur' },
      backups: { storage: 's3', location: 's3://saas-backups/saas at https://s3.example.com', encrypted: true },
      security: { staffTwoFactor: true },
      mail: { transport: 'smtp' },
      monitoring: { prometheusUrl: 'https://prometheus.internal:9090' },
    });
    expect(settings.odooVersions[0]).toEqual({ version: '18.0', image: 'odoo:18.0' });
  });

  it('says manual billing, local storage and no SMTP relay in a local set-up', () => {
    const local = platformSettings(
      parseConfig({
        DATABASE_URL: 'postgres://saas:pw@127.0.0.1:5432/saas',
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        JWT_SECRET: secrets.JWT_SECRET,
        ENCRYPTION_KEY: secrets.ENCRYPTION_KEY,
      }),
    );
    expect(local).toMatchObject({
      billing: { provider: 'manual' },
      backups: { storage: 'local', encrypted: false },
      mail: { transport: 'log' },
      edge: { tls: false, acmeDirectoryUrl: null },
    });
  });
});

describe('withoutCredentials', () => {
  it('drops the user, password, query and fragment of a URL', () => {
    expect(withoutCredentials('https://u:p@h.example:9/x?token=t#f')).toBe('https://h.example:9/x');
    expect(withoutCredentials('not a url')).toBe('(not a URL)');
  });
});
