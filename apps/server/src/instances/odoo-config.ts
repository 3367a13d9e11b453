import type { InstanceLimits } from './instances.tables.js';

/**
 * Odoo's own configuration for one instance, rendered as the INI file Odoo reads (`-c` / ODOO_RC).
 * Settings live here rather than on the command line because some have no flag (admin_passwd) and
 * because the file keeps the master password out of `docker inspect`.
 */
export interface OdooConfigInput {
  dbName: string;
  /** Hashed (pbkdf2-sha512); Odoo accepts hashed master passwords. */
  adminPasswdHash: string;
  limits: InstanceLimits;
}

/** Where the platform puts the file in the container; the official image's default path. */
export const ODOO_CONFIG_PATH = '/etc/odoo/odoo.conf';
export const ODOO_DATA_DIR = '/var/lib/odoo';
export const ODOO_ADDONS_DIR = '/mnt/extra-addons';
export const ODOO_HTTP_PORT = 8069;
export const ODOO_GEVENT_PORT = 8072;
/** uid/gid of the `odoo` user in the official image. */
export const ODOO_UID = 101;

export function renderOdooConfig(input: OdooConfigInput): string {
  const mib = 1024 * 1024;
  const memory = input.limits.memoryMb * mib;
  // Odoo recycles a worker above the soft limit and kills it above the hard one; keep both under the container's limit.
  const workers = Math.max(0, input.limits.workers);
  const perProcess = workers > 0 ? Math.floor(memory / (workers + 2)) : memory;
  const options: Record<string, string | number> = {
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
    max_cron_threads: workers > 0 ? 1 : 0,
    limit_memory_soft: Math.floor(perProcess * 0.8),
    limit_memory_hard: perProcess,
    limit_time_cpu: 600,
    limit_time_real: 1200,
    log_level: 'info',
  };
  const lines = Object.entries(options).map(([key, value]) => `${key} = ${value}`);
  return `; Written by the platform for database ${input.dbName}. Changes here are overwritten.\n[options]\n${lines.join('\n')}\n`;
}
