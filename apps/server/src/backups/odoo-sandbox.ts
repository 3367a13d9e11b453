import { copyFile, link, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decrypt, secretContext } from '../auth/secrets.js';
import type { InstanceOpsDeps } from '../instances/instance-context.js';
import { serverSpecFor } from '../instances/instance-context.js';
import { instanceNames, LABELS } from '../instances/instance-names.js';
import type { InstanceRow } from '../instances/instances.repo.js';
import { ODOO_CONFIG_PATH, ODOO_DATA_DIR, ODOO_UID } from '../instances/odoo-config.js';
import { ODOO_BIN } from '../instances/odoo-container.js';
import { PermanentStepError } from '../jobs/workflow.js';
import type { ContainerSpec } from '../runtime/instance-runtime.js';
import { pgpassLine } from '../tenant-db/postgres/postgres-dump.js';

/*
 * SQL from an uploaded backup runs only inside the instance's own sandbox. A dump.sql is a psql script: its
 * meta-commands (`\!`, `\o`, `\copy`, `\connect`) would reach the worker's host if the host's psql loaded it,
 * so it is loaded by the psql of the instance's own image, in a one-off container that is the instance's Odoo
 * container in all but its command (network, read-only root, limits, uid 101), as the instance's own role.
 */

/** Where a dump waits in the instance's volume while it is loaded (relative to the volume's root). */
export const RESTORE_STAGING_DIR = '.saas-restore';
const STAGED_DUMP = 'dump.sql';
/** The pgpass file of the psql one-off: in the container's own scratch space, never the volume. */
const PGPASS_PATH = '/etc/odoo/restore.pgpass';

export const LOAD_DUMP_TIMEOUT_MS = 2 * 60 * 60_000;
export const NEUTRALIZE_TIMEOUT_MS = 15 * 60_000;
const OUTPUT_KEEP = 2000;

type OneOffSpec = Omit<ContainerSpec, 'restart' | 'publish'>;

/** The instance's Odoo container spec (same sandbox), as a one-off with its own name, role and command. */
async function oneOffBase(deps: InstanceOpsDeps, instance: InstanceRow, role: string): Promise<OneOffSpec> {
  const { restart: _restart, publish: _publish, ...spec } = await serverSpecFor(deps, instance);
  return { ...spec, name: `${spec.name}-${role.replace(/^odoo-/, '')}`, labels: { ...spec.labels, [LABELS.role]: role } };
}

/** The psql one-off that loads the staged dump into `db`; exported for tests. */
export async function psqlLoadSpec(deps: InstanceOpsDeps, instance: InstanceRow, db: string): Promise<OneOffSpec> {
  const base = await oneOffBase(deps, instance, 'odoo-restore');
  const role = instanceNames(deps.config.resourcePrefix, instance.id).role;
  const password = decrypt(deps.config.encryptionKey, instance.dbPassword, secretContext.instanceDbPassword(instance.id));
  return {
    ...base,
    entrypoint: ['psql'],
    command: [
      '--no-psqlrc',
      '--quiet',
      '--set',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '--dbname',
      db,
      '--file',
      `${ODOO_DATA_DIR}/${RESTORE_STAGING_DIR}/${STAGED_DUMP}`,
    ],
    // The password only in a 0600 file of the container's own: never in its environment (`docker inspect`).
    env: {
      PGPASSFILE: PGPASS_PATH,
      PGHOST: deps.config.tenantDbHost,
      PGPORT: String(deps.config.tenantDbPort),
      PGUSER: role,
      PGCONNECT_TIMEOUT: '30',
      PGAPPNAME: 'saas-restore',
    },
    files: [{ path: PGPASS_PATH, content: pgpassLine({ role, password }), mode: 0o600, uid: ODOO_UID, gid: ODOO_UID }],
    // psql only reads the dump.
    mounts: base.mounts.map((m) => ({ ...m, readOnly: true })),
  };
}

/** Odoo's own `neutralize` command on `db`, with the instance's config file; exported for tests. */
export async function neutralizeSpec(deps: InstanceOpsDeps, instance: InstanceRow, db: string): Promise<OneOffSpec> {
  const base = await oneOffBase(deps, instance, 'odoo-neutralize');
  return { ...base, entrypoint: [ODOO_BIN], command: ['neutralize', '--config', ODOO_CONFIG_PATH, '-d', db] };
}

const tail = (output: string) => output.slice(-OUTPUT_KEEP);

/**
 * pg_hba admits an instance's containers only to the database named like its role (`sameuser`, docs/configuration.md),
 * so the sandbox can load into and neutralize only the instance's own database name: a restore moves the current
 * database aside (`renameDatabase`) and loads into a fresh, empty one of that name.
 */
function assertOwnDatabase(deps: InstanceOpsDeps, instance: InstanceRow, db: string) {
  const own = instanceNames(deps.config.resourcePrefix, instance.id).db;
  if (db !== own) throw new PermanentStepError(`the sandbox of instance ${instance.id} can reach only its own database ${own}, not ${db}`);
}

/** Puts one local file into the volume's staging directory (replacing whatever was there), or empties it. */
async function stage(deps: InstanceOpsDeps, instance: InstanceRow, dumpFile: string | null): Promise<void> {
  const volume = instanceNames(deps.config.resourcePrefix, instance.id).volume;
  const dir = await mkdtemp(join(dumpFile ? dirname(dumpFile) : tmpdir(), '.saas-stage-'));
  try {
    if (dumpFile) {
      // A hard link costs nothing for a dump of many gigabytes; a copy where the directory cannot hold one.
      await link(dumpFile, join(dir, STAGED_DUMP)).catch(() => copyFile(dumpFile, join(dir, STAGED_DUMP)));
    }
    await deps.runtime.importVolumeDir(volume, RESTORE_STAGING_DIR, dir, instance.image);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Loads a plain SQL dump (a local file) into the existing database `db`, owned by the instance's role, in one
 * transaction that stops at the first error. The dump is staged in the instance's volume (what the one-off can
 * read) and the staging directory is emptied afterwards, whatever happened.
 */
export async function loadDump(
  deps: InstanceOpsDeps,
  instance: InstanceRow,
  db: string,
  dumpFile: string,
  signal?: AbortSignal,
): Promise<void> {
  assertOwnDatabase(deps, instance, db);
  await stage(deps, instance, dumpFile);
  try {
    const result = await deps.runtime.runOneOff(await psqlLoadSpec(deps, instance, db), LOAD_DUMP_TIMEOUT_MS, signal);
    if (result.exitCode !== 0)
      throw new PermanentStepError(`loading the dump into ${db} failed (psql exit ${result.exitCode}): ${tail(result.output)}`);
  } finally {
    await stage(deps, instance, null).catch((err: unknown) =>
      deps.log.warn({ err, instanceId: instance.id }, 'emptying the restore staging directory failed'),
    );
  }
}

/**
 * Odoo's `neutralize` (what Odoo.sh runs on staging copies): every installed module's data/neutralize.sql, e.g.
 * mail servers and crons switched off, so a restored copy sends no mail and runs no scheduled actions.
 */
export async function neutralizeDatabase(deps: InstanceOpsDeps, instance: InstanceRow, db: string, signal?: AbortSignal): Promise<void> {
  assertOwnDatabase(deps, instance, db);
  const result = await deps.runtime.runOneOff(await neutralizeSpec(deps, instance, db), NEUTRALIZE_TIMEOUT_MS, signal);
  if (result.exitCode !== 0)
    throw new PermanentStepError(`neutralizing ${db} failed (odoo exit ${result.exitCode}): ${tail(result.output)}`);
}
