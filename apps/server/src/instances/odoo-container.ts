import type { Config } from '../config/config.js';
import type { ContainerSpec, Labels } from '../runtime/instance-runtime.js';
import type { InstanceNames } from './instance-names.js';
import { LABELS, slotPorts } from './instance-names.js';
import type { InstanceLimits } from './instances.tables.js';
import { isPrefork, ODOO_CONFIG_PATH, ODOO_DATA_DIR, ODOO_GEVENT_PORT, ODOO_HTTP_PORT, ODOO_UID, renderOdooConfig } from './odoo-config.js';

export interface OdooContainerInput {
  names: InstanceNames;
  image: string;
  /** The Odoo version the image runs (e.g. "18.0"). */
  version: string;
  limits: InstanceLimits;
  dbPassword: string;
  masterPasswordHash: string;
  labels: Labels;
}

/** Odoo itself, as the official image installs it; the platform runs it without the image's entrypoint. */
export const ODOO_BIN = '/usr/bin/odoo';

/**
 * Odoo's scratch space on a read-only root: Python's `tempfile` (uploads werkzeug spools past 500 KB, report
 * rendering, database dumps) wants /tmp and fails with "No usable temporary directory" without it. Everything
 * else Odoo writes (filestore, sessions, $HOME) is under the data volume. Counts against the memory limit.
 */
export const ODOO_TMPFS = [{ target: '/tmp', sizeMb: 256 }] as const;

/**
 * The container of one Odoo, on the official image's layout: Odoo reads /etc/odoo/odoo.conf, data lives in
 * /var/lib/odoo, and it runs as the image's `odoo` user (uid 101). The database connection is in that file
 * (mode 600) and Odoo is started directly, not through the image's entrypoint: the entrypoint would put the
 * password on Odoo's command line (`docker top`) and in the environment (`docker inspect`), and its
 * wait-for-psql.py refuses a password that starts with "-"; the platform has just checked the database anyway.
 * The image itself is read-only: a tenant's code cannot change Odoo or the system it runs on (docs/odoo.md).
 */
function baseSpec(config: Config, input: OdooContainerInput) {
  const dbHostIsEngineHost = config.tenantDbHost === 'host.docker.internal';
  return {
    image: input.image,
    entrypoint: [ODOO_BIN],
    env: {
      // glibc gives each thread up to 8 × cores malloc arenas of 64 MiB address space: two keep Odoo's
      // virtual size (what its memory limits measure) close to its resident size.
      MALLOC_ARENA_MAX: '2',
    },
    network: input.names.network,
    mounts: [{ volume: input.names.volume, target: ODOO_DATA_DIR }],
    files: [
      {
        path: ODOO_CONFIG_PATH,
        content: renderOdooConfig({
          dbName: input.names.db,
          adminPasswdHash: input.masterPasswordHash,
          limits: input.limits,
          version: input.version,
          db: { host: config.tenantDbHost, port: config.tenantDbPort, user: input.names.role, password: input.dbPassword },
        }),
        mode: 0o600,
        uid: ODOO_UID,
        gid: ODOO_UID,
      },
    ],
    limits: { memoryMb: input.limits.memoryMb, cpuMillis: input.limits.cpuMillis, pids: input.limits.pids },
    user: `${ODOO_UID}:${ODOO_UID}`,
    extraHosts: dbHostIsEngineHost ? ['host.docker.internal:host-gateway'] : [],
    readOnlyRootfs: true,
    tmpfs: ODOO_TMPFS.map((t) => ({ ...t })),
  };
}

export function odooServerSpec(config: Config, input: OdooContainerInput & { slot: number }): ContainerSpec {
  const ports = slotPorts(config.instancePortBase, input.slot);
  return {
    ...baseSpec(config, input),
    name: input.names.container,
    command: ['--config', ODOO_CONFIG_PATH],
    labels: { ...input.labels, [LABELS.managed]: 'true', [LABELS.role]: 'odoo' },
    // Threaded Odoo serves its websocket on the HTTP port and never opens the gevent port.
    publish: [
      { containerPort: ODOO_HTTP_PORT, hostPort: ports.http },
      ...(isPrefork(input.limits) ? [{ containerPort: ODOO_GEVENT_PORT, hostPort: ports.gevent }] : []),
    ],
    restart: 'unless-stopped',
  };
}

/** A one-off `odoo -i base` that creates Odoo's tables in an empty database, without demo data. */
export function odooInitSpec(config: Config, input: OdooContainerInput): Omit<ContainerSpec, 'restart' | 'publish'> {
  return {
    ...baseSpec(config, input),
    name: `${input.names.container}-init`,
    command: ['--config', ODOO_CONFIG_PATH, '--database', input.names.db, '--init', 'base', '--without-demo=all', '--stop-after-init'],
    labels: { ...input.labels, [LABELS.managed]: 'true', [LABELS.role]: 'odoo-init' },
  };
}
