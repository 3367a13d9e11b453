import { describe, expect, it } from 'vitest';
import { odooMemoryLimits, renderOdooConfig, websocketPort } from './odoo-config.js';
import { odooCrashLoop } from './odoo-health.js';

const MIB = 1024 * 1024;
// Measured on real Odoo (docs/odoo.md): the VMS of a freshly forked worker, and of a threaded server after a browser session.
const FRESH_WORKER_VMS = { '17.0': 270987264, '18.0': 282808320 };
const THREADED_BUSY_VMS = { '17.0': 352416 * 1024, '18.0': 379176 * 1024 };

const limits = (memoryMb: number, workers: number) => ({ memoryMb, cpuMillis: 1000, pids: 512, storageGb: 10, workers });
const option = (conf: string, key: string) => new RegExp(`^${key} = (.*)$`, 'm').exec(conf)?.[1];
const input = {
  dbName: 'db_x',
  adminPasswdHash: '$pbkdf2-sha512$600000$a$b',
  limits: limits(1024, 0),
  version: '17.0',
  db: { host: '172.17.0.1', port: 5432, user: 'saas_x', password: '-starts-with-a-dash' },
};

describe("Odoo's memory limits, in its virtual-memory terms", () => {
  it.each([
    [512, 0],
    [1024, 0],
    [512, 1],
    [1024, 2],
    [1024, 4],
    [2048, 8],
    [4096, 2],
  ])('never kill a fresh or an idle process (%i MiB, %i workers)', (memoryMb, workers) => {
    const { softBytes, hardBytes } = odooMemoryLimits(limits(memoryMb, workers));
    const biggest = Math.max(...Object.values(FRESH_WORKER_VMS), ...Object.values(THREADED_BUSY_VMS));
    // The old rule (a share of the container's memory: 1024 MiB / (2 + 2) × 0.8 ≈ 214 MiB) was below every worker's birth size.
    expect(softBytes).toBeGreaterThan(biggest * 1.5);
    expect(hardBytes).toBeGreaterThan(softBytes);
    expect(hardBytes - softBytes).toBeGreaterThanOrEqual(256 * MIB);
  });

  it('gives a threaded server the whole resident budget, and prefork workers a share', () => {
    expect(odooMemoryLimits(limits(2048, 0)).softBytes).toBe((256 + 2048) * MIB);
    expect(odooMemoryLimits(limits(4096, 3)).softBytes).toBe((256 + 1024) * MIB);
    expect(odooMemoryLimits(limits(1024, 2)).softBytes).toBe(640 * MIB); // the floor
  });

  it('routes the websocket to the port the mode serves it on', () => {
    expect(websocketPort({ workers: 0 })).toBe(8069);
    expect(websocketPort({ workers: 2 })).toBe(8072);
  });

  it('writes the gevent limits only for Odoo 18 with workers, and keeps the security settings', () => {
    const conf = (version: string, workers: number) => renderOdooConfig({ ...input, limits: limits(1024, workers), version });
    expect(option(conf('18.0', 2), 'limit_memory_soft_gevent')).toBe(String(640 * MIB));
    expect(option(conf('17.0', 2), 'limit_memory_soft_gevent')).toBeUndefined();
    expect(option(conf('18.0', 0), 'limit_memory_soft_gevent')).toBeUndefined();
    const c = conf('17.0', 0);
    expect(option(c, 'list_db')).toBe('False');
    expect(option(c, 'dbfilter')).toBe('^db_x$');
    expect(option(c, 'proxy_mode')).toBe('True');
    expect(option(c, 'max_cron_threads')).toBe('1');
    expect(option(c, 'db_maxconn')).toBe('8');
    expect(option(c, 'admin_passwd')).toMatch(/^\$pbkdf2-sha512\$/);
  });
});

describe("the instance's database connection", () => {
  it('is in the file, as it is (a leading "-" is a value there, unlike on a command line)', () => {
    const conf = renderOdooConfig(input);
    expect(option(conf, 'db_host')).toBe('172.17.0.1');
    expect(option(conf, 'db_user')).toBe('saas_x');
    expect(option(conf, 'db_password')).toBe('-starts-with-a-dash');
  });

  it('refuses a value that would write options of its own', () => {
    expect(() => renderOdooConfig({ ...input, db: { ...input.db, password: 'x\nadmin_passwd = admin' } })).toThrow(/line break/);
  });
});

describe("reading a crash loop from Odoo's log", () => {
  // As real Odoo 17 logs it when its limits are below a fresh worker's size.
  const line = (pid: number) =>
    `2026-12-01 10:00:00,000 7 INFO ? odoo.service.server: Worker (${pid}) virtual memory limit (270987264) reached.\n` +
    `2026-12-01 10:00:00,001 7 INFO ? odoo.service.server: Worker (${pid}) exiting. request_count: 0, registry count: 1.\n`;

  it('sees workers dying as they start', () => {
    expect(odooCrashLoop([10, 11, 12].map(line).join(''))).toMatch(/workers die as they start/);
  });

  it('does not take one recycled worker for a loop', () => {
    expect(odooCrashLoop(`${line(10)}2026-12-01 10:00:01,000 7 INFO db odoo.modules.loading: Modules loaded.\n`)).toBeNull();
  });
});
