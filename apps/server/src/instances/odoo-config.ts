import type { InstanceLimits } from './instances.tables.js';

/**
 * Odoo's own configuration for one instance, rendered as the INI file Odoo reads (`-c` / ODOO_RC).
 * Settings live here rather than on the command line because some have no flag (admin_passwd) and
 * because the file keeps the master password out of `docker inspect`. docs/odoo.md explains every
 * value with the Odoo fact behind it.
 */
export interface OdooConfigInput {
  dbName: string;
  /** Hashed (pbkdf2-sha512); Odoo accepts hashed master passwords. */
  adminPasswdHash: string;
  limits: InstanceLimits;
  /** The instance's Odoo version (e.g. "18.0"): options that only newer Odoo knows are written for it alone. */
  version: string;
  /** The instance's own connection to its database server. */
  db: { host: string; port: number; user: string; password: string };
}

/** Where the platform puts the file in the container; the official image's default path. */
export const ODOO_CONFIG_PATH = '/etc/odoo/odoo.conf';
export const ODOO_DATA_DIR = '/var/lib/odoo';
export const ODOO_ADDONS_DIR = '/mnt/extra-addons';
export const ODOO_HTTP_PORT = 8069;
export const ODOO_GEVENT_PORT = 8072;
/** uid/gid of the `odoo` user in the official image. */
export const ODOO_UID = 101;

/** Prefork (`workers > 0`): HTTP workers, cron workers and a gevent process for the websocket. Else threaded: one process. */
export const isPrefork = (limits: Pick<InstanceLimits, 'workers'>) => limits.workers > 0;

/** The container port that answers Odoo's `/websocket`: the HTTP port in threaded mode, the gevent port in prefork mode. */
export const websocketPort = (limits: Pick<InstanceLimits, 'workers'>) => (isPrefork(limits) ? ODOO_GEVENT_PORT : ODOO_HTTP_PORT);

const MIB = 1024 * 1024;

/**
 * Odoo's `limit_memory_soft` / `limit_memory_hard` bound each process's *virtual* size (VMS, psutil's
 * `vms`), not its resident memory: the hard one is set as RLIMIT_AS, the soft one recycles a worker after
 * its request. Measured with Odoo 17.0/18.0 (docs/odoo.md): a freshly forked worker already has a VMS
 * of 259–270 MiB for 94–106 MiB resident; a threaded server after a browser session 344–370 MiB for
 * 188–222 MiB. VMS exceeds RSS by a near-constant ~150–165 MiB (mapped libraries, malloc arenas), so the
 * limits are that overhead plus a resident budget, never a share of the container's memory alone —
 * a 1 GiB plan split five ways (≈ 214 MiB) kills every worker before its first request.
 *
 * The container's cgroup limit is the real bound on memory; these limits only recycle a process that
 * grows (a leak, a huge report) before the kernel's OOM killer takes the whole instance.
 */
export const ODOO_MEMORY = {
  /** VMS above RSS, rounded up from the measured ~165 MiB, with room for extra malloc arenas and thread stacks. */
  vmsOverheadMb: 256,
  /** No process may be recycled below this: 2.4× the largest measured fresh worker VMS (270 MiB). */
  softFloorMb: 640,
  /** The hard limit stands this far (at least) above the soft one, so a recycle happens before an allocation fails. */
  hardMarginMb: 256,
} as const;

export interface OdooMemoryLimits {
  softBytes: number;
  hardBytes: number;
}

/**
 * Per-process VMS limits for a plan: the resident budget of one serving process is the container's memory
 * (threaded: the one process serves everything) or an equal share among the HTTP workers plus one (prefork:
 * the cron worker, the gevent process and the master stay small), on top of the measured VMS overhead.
 */
export function odooMemoryLimits(limits: Pick<InstanceLimits, 'memoryMb' | 'workers'>): OdooMemoryLimits {
  const residentBudgetMb = isPrefork(limits) ? Math.floor(limits.memoryMb / (limits.workers + 1)) : limits.memoryMb;
  const softMb = Math.max(ODOO_MEMORY.softFloorMb, ODOO_MEMORY.vmsOverheadMb + residentBudgetMb);
  const hardMb = softMb + Math.max(ODOO_MEMORY.hardMarginMb, Math.floor(softMb / 4));
  return { softBytes: softMb * MIB, hardBytes: hardMb * MIB };
}

const major = (version: string) => Number.parseInt(version, 10) || 0;

export function renderOdooConfig(input: OdooConfigInput): string {
  const workers = Math.max(0, input.limits.workers);
  const memory = odooMemoryLimits(input.limits);
  const options: Record<string, string | number> = {
    db_host: input.db.host,
    db_port: input.db.port,
    db_user: input.db.user,
    db_password: input.db.password,
    addons_path: ODOO_ADDONS_DIR,
    data_dir: ODOO_DATA_DIR,
    admin_passwd: input.adminPasswdHash,
    db_name: input.dbName,
    dbfilter: `^${input.dbName}$`,
    list_db: 'False',
    proxy_mode: 'True',
    without_demo: 'all',
    http_port: ODOO_HTTP_PORT,
    gevent_port: ODOO_GEVENT_PORT,
    workers,
    // One cron runner in both modes (a thread when threaded, a process with workers): scheduled actions
    // (mail queue, vacuum, recurring jobs) never run with 0, and more only costs memory on a small instance.
    max_cron_threads: 1,
    // Each Odoo process keeps up to db_maxconn connections; Odoo's 64 would let a few instances exhaust
    // the shared PostgreSQL server. One instance rarely has more than a handful of requests at once.
    db_maxconn: 8,
    limit_memory_soft: memory.softBytes,
    limit_memory_hard: memory.hardBytes,
    // Long imports and reports are legitimate on a business ERP; Odoo's 60 s / 120 s defaults cut them off.
    limit_time_cpu: 600,
    limit_time_real: 1200,
    log_level: 'info',
  };
  // Odoo 18 gave the gevent process limits of its own (default: the workers'); 17 does not know them.
  if (workers > 0 && major(input.version) >= 18) {
    options.limit_memory_soft_gevent = memory.softBytes;
    options.limit_memory_hard_gevent = memory.hardBytes;
  }
  const lines = Object.entries(options).map(([key, value]) => {
    // One option per line: a line break in a value would write options of its own.
    if (/[\r\n]/.test(String(value))) throw new Error(`Odoo option ${key} cannot contain a line break`);
    return `${key} = ${value}`;
  });
  return `; Written by the platform for database ${input.dbName}. Changes here are overwritten.\n[options]\n${lines.join('\n')}\n`;
}
