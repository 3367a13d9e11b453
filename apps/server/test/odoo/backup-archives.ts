import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import pg from 'pg';
import { instanceNames, LABELS, slotCapacity, slotSubnet } from '../../src/instances/instance-names.js';
import { ODOO_CONFIG_PATH, ODOO_DATA_DIR, ODOO_HTTP_PORT, ODOO_UID } from '../../src/instances/odoo-config.js';
import { ODOO_BIN } from '../../src/instances/odoo-container.js';
import { odooPasswordHash } from '../../src/instances/odoo-password.js';
import type { Platform } from '../../src/platform.js';
import { freePort } from '../support/nginx.js';

/** Helpers of backups.odoo.test.ts: JSON-RPC to an Odoo on a loopback port, hostile zips, a stock Odoo. */

const exec = promisify(execFile);

type RpcAnswer = { result?: unknown; error?: { message: string; data?: { name?: string; message?: string } } };

/** JSON-RPC to an Odoo on 127.0.0.1:port (an instance's published port, or the stock Odoo's). */
export async function rpc(port: number, path: string, params: unknown, cookie?: string): Promise<RpcAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  try {
    return JSON.parse(text) as RpcAnswer;
  } catch {
    return { error: { message: `HTTP ${res.status}: ${text.slice(0, 300)}` } };
  }
}

/** An Odoo user's session for the external API (`/jsonrpc`, service `object`), as any script of a tenant would use. */
export async function odooLogin(port: number, db: string, login: string, password: string) {
  const answer = await rpc(port, '/jsonrpc', { service: 'common', method: 'login', args: [db, login, password] });
  if (answer.error || typeof answer.result !== 'number') {
    throw new Error(`login to ${db} as ${login} failed: ${JSON.stringify(answer.error ?? answer.result)}`);
  }
  const uid = answer.result;
  return {
    uid,
    async call<T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<T> {
      const res = await rpc(port, '/jsonrpc', {
        service: 'object',
        method: 'execute_kw',
        args: [db, uid, password, model, method, args, kwargs],
      });
      if (res.error) throw new Error(`${model}.${method}: ${res.error.data?.message ?? res.error.message}`);
      return res.result as T;
    },
  };
}

/** Waits until an Odoo answers on the port (its version info), for at most `timeoutMs`. */
export async function waitForOdoo(port: number, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await rpc(port, '/web/webclient/version_info', {});
      if (res.result) return;
      last = JSON.stringify(res.error);
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no Odoo on port ${port} after ${timeoutMs} ms: ${last}`);
}

export type HostileKind = 'traversal' | 'filestore-traversal' | 'symlink' | 'bomb' | 'wrong-version';

/**
 * A hostile variant of a good backup zip, written by Python's zipfile (the library Odoo's own backup and
 * restore use): every member of the good zip, plus the one that must get it refused.
 */
export async function hostileZip(good: Buffer, kind: HostileKind): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'hostile-zip-'));
  try {
    await writeFile(join(dir, 'in.zip'), good);
    const script = `
import json, sys, zipfile
src, dst, kind = sys.argv[1:4]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zout:
    for info in zin.infolist():
        data = zin.read(info)
        if kind == 'wrong-version' and info.filename == 'manifest.json':
            manifest = json.loads(data)
            manifest['version'] = '16.0'
            manifest['version_info'] = [16, 0, 0, 'final', 0, '']
            manifest['major_version'] = '16.0'
            data = json.dumps(manifest).encode()
        zout.writestr(info, data)
    if kind == 'traversal':
        zout.writestr(zipfile.ZipInfo('../../etc/x'), b'owned')
    elif kind == 'filestore-traversal':
        zout.writestr(zipfile.ZipInfo('filestore/../../x'), b'owned')
    elif kind == 'symlink':
        link = zipfile.ZipInfo('filestore/ab/link')
        link.create_system = 3
        link.external_attr = (0o120777 << 16)
        zout.writestr(link, b'/etc/passwd')
    elif kind == 'bomb':
        # 256 MiB of zeros: about 250 KB deflated (1000x, far past the 200x allowed).
        bomb = zipfile.ZipInfo('filestore/ab/bomb')
        bomb.compress_type = zipfile.ZIP_DEFLATED
        with zout.open(bomb, 'w', force_zip64=True) as f:
            chunk = bytes(1 << 20)
            for _ in range(256):
                f.write(chunk)
`;
    await exec('python3', ['-c', script, join(dir, 'in.zip'), join(dir, 'out.zip'), kind], { timeout: 120_000 });
    return await readFile(join(dir, 'out.zip'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface StockOdoo {
  port: number;
  /** The database the stock Odoo may create: its role's own name (pg_hba's `sameuser`). */
  db: string;
  masterPassword: string;
  stop(): Promise<void>;
}

/**
 * A stock Odoo with its database manager on (list_db = True, a master password), as a tenant's own server
 * would be, able to create one database. It reaches the test PostgreSQL the only way the project's pg_hba
 * admits containers: from the suite's instance subnet pool, as a member of `<prefix>_instances`, to the
 * database of its own name (or `postgres`). So it gets a role of its own (LOGIN CREATEDB, a member of that
 * group) and a network on the pool's last slot, which the platform's instances (lowest free slots first)
 * never reach in this suite. Everything carries the suite's prefix, so the global purge removes what a
 * crashed run left.
 */
export async function startStockOdoo(platform: Platform, image: string): Promise<StockOdoo> {
  const { config, runtime } = platform;
  const prefix = config.resourcePrefix;
  const tag = randomBytes(3).toString('hex');
  const role = `${prefix}_stock${tag}`;
  const network = `${prefix}-net-stock${tag}`;
  const container = `${prefix}-stock-odoo-${tag}`;
  const dbPassword = randomBytes(18).toString('base64url');
  const masterPassword = randomBytes(18).toString('base64url');
  const labels = { [LABELS.platform]: prefix, [LABELS.managed]: 'true', [LABELS.role]: 'stock-odoo-test' };
  const admin = new pg.Client({ connectionString: config.tenantDbAdminUrl });
  await admin.connect();
  try {
    await admin.query(`create role ${pg.escapeIdentifier(role)} login createdb password ${pg.escapeLiteral(dbPassword)}`);
    await admin.query(`grant ${pg.escapeIdentifier(`${prefix}_instances`)} to ${pg.escapeIdentifier(role)}`);
    // Membership lets the platform's role (not a superuser) drop the database the stock Odoo will own.
    await admin.query(`grant ${pg.escapeIdentifier(role)} to current_user`);
  } finally {
    await admin.end();
  }
  const stop = async () => {
    await new Docker({ socketPath: config.dockerSocket })
      .getContainer(container)
      .remove({ force: true, v: true })
      .catch(() => undefined);
    await runtime.removeNetwork(network).catch(() => undefined);
    const client = new pg.Client({ connectionString: config.tenantDbAdminUrl });
    await client.connect();
    try {
      await client.query(`drop database if exists ${pg.escapeIdentifier(role)} with (force)`);
      await client.query(`drop role if exists ${pg.escapeIdentifier(role)}`);
    } finally {
      await client.end();
    }
  };
  try {
    await runtime.ensureNetwork({
      name: network,
      subnet: slotSubnet(config.instanceSubnetPool, slotCapacity(config.instanceSubnetPool) - 1),
      labels,
    });
    const port = await freePort();
    const conf = [
      '[options]',
      `db_host = ${config.tenantDbHost}`,
      `db_port = ${config.tenantDbPort}`,
      `db_user = ${role}`,
      `db_password = ${dbPassword}`,
      `admin_passwd = ${await odooPasswordHash(masterPassword)}`,
      'list_db = True',
      `data_dir = ${ODOO_DATA_DIR}`,
      'addons_path = /mnt/extra-addons',
      `http_port = ${ODOO_HTTP_PORT}`,
      'workers = 0',
      'max_cron_threads = 0',
      'without_demo = all',
      '',
    ].join('\n');
    await runtime.ensureContainer({
      name: container,
      image,
      entrypoint: [ODOO_BIN],
      command: ['--config', ODOO_CONFIG_PATH],
      env: {},
      labels,
      network,
      // The image's VOLUME /var/lib/odoo: an anonymous volume, removed with the container.
      mounts: [],
      files: [{ path: ODOO_CONFIG_PATH, content: conf, mode: 0o600, uid: ODOO_UID, gid: ODOO_UID }],
      limits: { memoryMb: 1536, cpuMillis: 2000, pids: 512 },
      user: `${ODOO_UID}:${ODOO_UID}`,
      publish: [{ containerPort: ODOO_HTTP_PORT, hostPort: port }],
      extraHosts: config.tenantDbHost === 'host.docker.internal' ? ['host.docker.internal:host-gateway'] : [],
      restart: 'no',
    });
    await waitForOdoo(port);
    return { port, db: role, masterPassword, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The database name of an instance of the platform. */
export const dbOf = (platform: Platform, instanceId: string) => instanceNames(platform.config.resourcePrefix, instanceId).db;
