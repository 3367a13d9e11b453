import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { odooEnv } from '../../test/odoo/odoo-env.js';
import { configProblems, MINIMAL_ENV } from '../../test/support/config-problems.js';
import { testEnv } from '../../test/test-env.js';
import { parseConfig, TEST_RESERVATIONS } from './config.js';

const base = MINIMAL_ENV;

const production = {
  ...base,
  NODE_ENV: 'production',
  PUBLIC_URL: 'https://cloud.example.com',
  ADMIN_URL: 'https://admin.cloud.example.com',
  JWT_SECRET: randomBytes(48).toString('base64url'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  SMTP_URL: 'smtps://mailer:pw@smtp.example.com:465',
  BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
};

const problemsOf = (env: Record<string, string | undefined>) => configProblems(env);

describe('parseConfig', () => {
  it('applies defaults to a minimal local configuration', () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({
      env: 'development',
      production: false,
      port: 3000,
      publicUrl: 'http://localhost:8080',
      baseDomain: 'localhost',
      bodyLimitBytes: 1_048_576,
      loginLockThreshold: 10,
      secureCookies: false,
      smtpUrl: undefined,
    });
    expect(config.encryptionKey).toHaveLength(32);
  });

  it('keeps the edge local by default; EDGE_MODE=remote with its timeouts and the API as the edge reaches it', () => {
    expect(parseConfig(base).edge).toMatchObject({ mode: 'local', applyTimeoutMs: 20_000, syncIntervalMs: 30_000, apiUpstream: undefined });
    const remote = parseConfig({
      ...base,
      EDGE_MODE: 'remote',
      EDGE_APPLY_TIMEOUT_SECONDS: '5',
      EDGE_SYNC_INTERVAL_SECONDS: '10',
      EDGE_API_UPSTREAM: 'api:3000',
    });
    expect(remote.edge).toMatchObject({ mode: 'remote', applyTimeoutMs: 5_000, syncIntervalMs: 10_000, apiUpstream: 'api:3000' });
    expect(problemsOf({ ...base, EDGE_MODE: 'swarm', EDGE_API_UPSTREAM: 'api;3000' })).toEqual([
      expect.stringContaining('EDGE_MODE'),
      expect.stringContaining('EDGE_API_UPSTREAM: must be address:port'),
    ]);
  });

  it('gives each API process its own internal port, METRICS_PORT + its index, and keeps the worker clear of them', () => {
    const second = parseConfig({ ...base, API_PROCESS_INDEX: '1' });
    expect(second.metrics).toEqual({ host: '127.0.0.1', port: 9465, ports: [9464, 9465] });
    expect(second.monitoring.workerMetricsPort).toBe(9470);
    expect(parseConfig({ ...base, METRICS_PORT: '0', API_PROCESS_INDEX: '1' }).metrics).toEqual({ host: '127.0.0.1', port: 0, ports: [] });
    expect(problemsOf({ ...base, API_PROCESSES: '3', WORKER_METRICS_PORT: '9466' }).join('\n')).toMatch(
      /WORKER_METRICS_PORT: the API processes' internal listeners take ports 9464-9466/,
    );
    expect(problemsOf({ ...base, API_PROCESSES: '2', API_PROCESS_INDEX: '2' }).join('\n')).toMatch(
      /API_PROCESS_INDEX: must be below API_PROCESSES \(2\)/,
    );
  });

  it('names DATABASE_URL when it is missing, and treats an empty value as missing', () => {
    for (const value of [undefined, '']) {
      const problems = problemsOf({ ...base, DATABASE_URL: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^DATABASE_URL: /);
    }
    expect(() => parseConfig({ ...base, DATABASE_URL: undefined })).toThrow(/DATABASE_URL/);
  });

  it('names DATABASE_URL and REDIS_URL when they are not URLs of their kind', () => {
    const problems = problemsOf({ ...base, DATABASE_URL: 'mysql://x', REDIS_URL: 'http://127.0.0.1' });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: .*postgres/), expect.stringMatching(/^REDIS_URL: .*redis/)]);
  });

  it.each(['abc', '0', '70000', '80.5'])('names PORT when it is %s', (port) => {
    const problems = problemsOf({ ...base, PORT: port });
    expect(problems).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('names a short JWT_SECRET and an ENCRYPTION_KEY of the wrong size', () => {
    const problems = problemsOf({ ...base, JWT_SECRET: 'short', ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') });
    expect(problems).toEqual([expect.stringMatching(/^JWT_SECRET: .*32/), expect.stringMatching(/^ENCRYPTION_KEY: .*32 bytes/)]);
  });

  it('accepts a good production configuration', () => {
    const config = parseConfig(production);
    expect(config).toMatchObject({ production: true, secureCookies: true, baseDomain: 'cloud.example.com' });
    expect(config.smtpUrl).toBe(production.SMTP_URL);
  });

  it('refuses http:// URLs in production', () => {
    const problems = problemsOf({ ...production, PUBLIC_URL: 'http://cloud.example.com', ADMIN_URL: 'http://admin.example.com' });
    expect(problems).toEqual([expect.stringMatching(/^PUBLIC_URL: .*https/), expect.stringMatching(/^ADMIN_URL: .*https/)]);
  });

  it.each([
    ['the placeholder', 'change-me-change-me-change-me-change-me'],
    ['a "secret" word', 'my-super-secret-signing-key-for-the-platform'],
    ['too few distinct characters', 'abababababababababababababababababab'],
  ])('refuses %s as JWT_SECRET in production', (_label, secret) => {
    expect(problemsOf({ ...production, JWT_SECRET: secret })).toEqual([expect.stringMatching(/^JWT_SECRET: .*weak secret/)]);
    // The same value is fine locally: only production insists.
    expect(parseConfig({ ...base, JWT_SECRET: secret }).jwtSecret).toBe(secret);
  });

  it('refuses a low-entropy ENCRYPTION_KEY in production', () => {
    expect(problemsOf({ ...production, ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') })).toEqual([
      expect.stringMatching(/^ENCRYPTION_KEY: /),
    ]);
  });

  it('requires SMTP_URL in production, and only there', () => {
    expect(problemsOf({ ...production, SMTP_URL: undefined })).toEqual([expect.stringMatching(/^SMTP_URL: .*required/)]);
    expect(problemsOf({ ...production, SMTP_URL: 'http://mail' })).toEqual([expect.stringMatching(/^SMTP_URL: .*smtp/)]);
    expect(parseConfig(base).smtpUrl).toBeUndefined();
  });

  it('lists every problem at once, not just the first', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'x', PUBLIC_URL: 'http://a.example.com' });
    const named = problems.map((p) => p.split(':')[0]);
    expect(named).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'ENCRYPTION_KEY']));
  });

  it('sets secureCookies only when PUBLIC_URL is https', () => {
    const exposed = { ...base, SMTP_URL: production.SMTP_URL };
    expect(parseConfig({ ...exposed, PUBLIC_URL: 'https://cloud.example.com' }).secureCookies).toBe(true);
    expect(parseConfig({ ...exposed, PUBLIC_URL: 'http://cloud.example.com' }).secureCookies).toBe(false);
    // An https admin URL alone does not make the tenant app's cookies secure.
    expect(parseConfig({ ...exposed, ADMIN_URL: 'https://admin.example.com' }).secureCookies).toBe(false);
  });

  it('strips a trailing slash from the public URLs', () => {
    const config = parseConfig({ ...base, PUBLIC_URL: 'http://localhost:8080/', ADMIN_URL: 'http://admin.localhost:8080/' });
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.adminUrl).toBe('http://admin.localhost:8080');
  });

  describe('exposure: the dev mailbox, SMTP and staff two-factor', () => {
    const publicDev = { ...base, PUBLIC_URL: 'http://cloud.example.com', ADMIN_URL: 'http://admin.cloud.example.com' };

    it('keeps the dev mailbox off and staff two-factor optional by default in local mode', () => {
      expect(parseConfig(base)).toMatchObject({ devMailbox: false, staffTwoFactor: false });
      expect(parseConfig({ ...base, DEV_MAILBOX: 'true' }).devMailbox).toBe(true);
    });

    it.each([
      ['localhost', 'http://localhost:8080', 'http://admin.localhost:8080'],
      ['127.0.0.1', 'http://127.0.0.1:8080', 'http://127.0.0.2:8081'],
      ['::1', 'http://[::1]:8080', 'http://shop.localhost'],
    ])('turns the dev mailbox on for loopback URLs (%s)', (_label, PUBLIC_URL, ADMIN_URL) => {
      expect(parseConfig({ ...base, PUBLIC_URL, ADMIN_URL, DEV_MAILBOX: 'true' }).devMailbox).toBe(true);
    });

    it.each([
      ['a public PUBLIC_URL', { PUBLIC_URL: 'http://cloud.example.com' }],
      ['a public ADMIN_URL', { ADMIN_URL: 'http://admin.example.com' }],
      ['a name that only starts like loopback', { PUBLIC_URL: 'http://localhost.example.com' }],
      ['a LAN address', { PUBLIC_URL: 'http://192.168.1.10:8080' }],
    ])('refuses DEV_MAILBOX=true with %s', (_label, urls) => {
      const env = { ...base, ...urls, SMTP_URL: production.SMTP_URL, DEV_MAILBOX: 'true' };
      expect(problemsOf(env)).toEqual([
        expect.stringMatching(/^DEV_MAILBOX: must be false when PUBLIC_URL or ADMIN_URL is not a loopback/),
      ]);
    });

    it('refuses DEV_MAILBOX=true in production', () => {
      expect(problemsOf({ ...production, DEV_MAILBOX: 'true' })).toEqual([
        expect.stringMatching(/^DEV_MAILBOX: must be false in production/),
      ]);
    });

    it('refuses a public URL without SMTP, and names the setting', () => {
      expect(problemsOf(publicDev)).toEqual([
        'SMTP_URL: is required when PUBLIC_URL or ADMIN_URL is not a loopback address (verification and reset mails)',
      ]);
    });

    it('requires staff two-factor by default on a public URL, and refuses turning it off there', () => {
      const exposed = { ...publicDev, SMTP_URL: production.SMTP_URL };
      expect(parseConfig(exposed)).toMatchObject({ staffTwoFactor: true, devMailbox: false });
      expect(parseConfig(production).staffTwoFactor).toBe(true);
      expect(problemsOf({ ...exposed, STAFF_TWO_FACTOR: 'optional' })).toEqual([
        expect.stringMatching(/^STAFF_TWO_FACTOR: must be required/),
      ]);
      expect(problemsOf({ ...production, STAFF_TWO_FACTOR: 'optional' })).toEqual([
        expect.stringMatching(/^STAFF_TWO_FACTOR: must be required in production/),
      ]);
      // Local mode may turn it on.
      expect(parseConfig({ ...base, STAFF_TWO_FACTOR: 'required' }).staffTwoFactor).toBe(true);
    });
  });

  describe('engine names', () => {
    it("refuses a subnet pool on the tests' pools, the Docker bridge, or off its block boundary", () => {
      expect(problemsOf({ ...base, INSTANCE_SUBNET_POOL: '10.214.0.0/16' })).toEqual([
        "INSTANCE_SUBNET_POOL: 10.214.0.0/16 overlaps 10.214.0.0/20, the pool of the tests' prefix saastest",
      ]);
      expect(problemsOf({ ...base, INSTANCE_SUBNET_POOL: '10.0.0.0/8' }).join('\n')).toMatch(/saastest[\s\S]*saasodoo/);
      expect(problemsOf({ ...base, INSTANCE_SUBNET_POOL: '172.17.0.0/20' })).toEqual([
        "INSTANCE_SUBNET_POOL: 172.17.0.0/20 overlaps Docker's default bridge 172.17.0.0/16",
      ]);
      expect(problemsOf({ ...base, INSTANCE_SUBNET_POOL: '10.213.5.0/16' })).toEqual([
        'INSTANCE_SUBNET_POOL: 10.213.5.0/16 is not the first address of its block',
      ]);
      // Tests may use their pools: their own prefix, or anything run as a test.
      const pool = { INSTANCE_SUBNET_POOL: '10.214.0.0/16' };
      expect(parseConfig({ ...base, ...pool, NODE_ENV: 'test', RESOURCE_PREFIX: 'saasbench' }).instanceSubnetPool).toBe(
        pool.INSTANCE_SUBNET_POOL,
      );
      expect(parseConfig({ ...production, ...pool, RESOURCE_PREFIX: 'saastest' }).instanceSubnetPool).toBe(pool.INSTANCE_SUBNET_POOL);
    });

    it("refuses instance ports past 65535, among the kernel's ephemeral ports, on the API's or the edge's, or on the tests'", () => {
      const small = { INSTANCE_SUBNET_POOL: '10.213.0.0/24' }; // 16 instances: 32 ports
      expect(problemsOf({ ...base, INSTANCE_PORT_BASE: '60000' }).join('\n')).toMatch(
        /ports 60000-68191 \(two per instance of 10\.213\.0\.0\/16\), past 65535/,
      );
      expect(problemsOf({ ...base, ...small, INSTANCE_PORT_BASE: '40000' })).toEqual([
        expect.stringMatching(/^INSTANCE_PORT_BASE: instances' ports 40000-40031 .* overlap the kernel's ephemeral ports \d+-\d+$/),
      ]);
      expect(problemsOf({ ...base, ...small, INSTANCE_PORT_BASE: '2990' })).toEqual([
        "INSTANCE_PORT_BASE: instances' ports 2990-3021 (two per instance of 10.213.0.0/24) include PORT 3000",
      ]);
      expect(problemsOf({ ...base, ...small, INSTANCE_PORT_BASE: '31500' })).toEqual([
        "INSTANCE_PORT_BASE: instances' ports 31500-31531 (two per instance of 10.213.0.0/24) overlap 31000-31511, the ports of the tests' prefix saastest",
      ]);
      // The default fits: 20000-28191.
      expect(parseConfig(base).instancePortBase).toBe(20000);
    });

    it('knows the pools and prefixes the tests really use', () => {
      // Only the settings matter here, not the services behind these URLs.
      for (const name of ['TEST_DATABASE_URL', 'TEST_ODOO_DATABASE_URL']) vi.stubEnv(name, base.DATABASE_URL);
      vi.stubEnv('TEST_REDIS_URL', base.REDIS_URL);
      vi.stubEnv('TEST_ODOO_IMAGES', '18.0=odoo-local:18.0');
      const file = parseEnv(readFileSync(new URL('../../test/subnet-pools.env', import.meta.url), 'utf8'));
      const used = [testEnv(), odooEnv()].map((env) => ({
        pool: env.INSTANCE_SUBNET_POOL,
        portBase: Number(env.INSTANCE_PORT_BASE),
        prefix: env.RESOURCE_PREFIX,
      }));
      expect(used).toEqual([...TEST_RESERVATIONS]);
      expect(
        Object.values(file)
          .filter((v) => v?.includes('/'))
          .sort(),
      ).toEqual(TEST_RESERVATIONS.map((p) => p.pool).sort());
      vi.unstubAllEnvs();
    });
  });
  describe('backups', () => {
    it('requires an encryption key for backups in production, and a well-formed one anywhere', () => {
      expect(problemsOf({ ...production, BACKUP_ENCRYPTION_KEY: undefined })).toEqual([expect.stringContaining('BACKUP_ENCRYPTION_KEY')]);
      expect(problemsOf({ ...base, BACKUP_ENCRYPTION_KEY: 'short' })).toEqual([expect.stringContaining('BACKUP_ENCRYPTION_KEY')]);
      expect(parseConfig(base).backups.storage.encryptionKey).toBeNull();
    });

    it('reads the keys of earlier rotations, and refuses a malformed one', () => {
      const previous = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')];
      const config = parseConfig({ ...production, BACKUP_ENCRYPTION_PREVIOUS_KEYS: previous.join(', ') });
      expect(config.backups.storage.previousKeys).toHaveLength(2);
      expect(problemsOf({ ...production, BACKUP_ENCRYPTION_PREVIOUS_KEYS: 'nope' })).toEqual([
        expect.stringContaining('BACKUP_ENCRYPTION_PREVIOUS_KEYS'),
      ]);
    });

    it('requires the bucket and credentials for S3 storage, with a prefix per environment by default', () => {
      const problems = problemsOf({ ...base, BACKUP_STORAGE: 's3' });
      for (const key of ['BACKUP_S3_BUCKET', 'BACKUP_S3_ACCESS_KEY_ID', 'BACKUP_S3_SECRET_ACCESS_KEY']) {
        expect(problems).toContainEqual(expect.stringContaining(key));
      }
      const config = parseConfig({
        ...base,
        BACKUP_STORAGE: 's3',
        BACKUP_S3_BUCKET: 'backups',
        BACKUP_S3_ACCESS_KEY_ID: 'id',
        BACKUP_S3_SECRET_ACCESS_KEY: 'secret',
        RESOURCE_PREFIX: 'staging',
      });
      expect(config.backups.storage).toMatchObject({ driver: 's3', bucket: 'backups', prefix: 'staging' });
    });
  });
});
