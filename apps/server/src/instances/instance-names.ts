/**
 * Every engine and database name of an instance, derived from its id and slot so each step can be
 * repeated safely and nothing the tenant typed ever reaches a shell, SQL or a config file as a name.
 */
export interface InstanceNames {
  container: string;
  network: string;
  volume: string;
  /** Database and role share one name: pg_hba's `sameuser` then confines the role to its database. */
  db: string;
  role: string;
}

/** `prefix` is the platform's RESOURCE_PREFIX: two platforms (or a platform and its tests) can share an engine and a server. */
export function instanceNames(prefix: string, instanceId: string): InstanceNames {
  const short = instanceId.replaceAll('-', '').slice(0, 16);
  return {
    container: `${prefix}-odoo-${short}`,
    network: `${prefix}-net-${short}`,
    volume: `${prefix}-data-${short}`,
    db: `${prefix}_${short}`,
    role: `${prefix}_${short}`,
  };
}

export function templateNames(prefix: string, version: string) {
  const v = version.replace(/[^0-9a-z]/gi, '_').toLowerCase();
  return { db: `${prefix}_tpl_${v}`, role: `${prefix}_tpl_${v}`, volume: `${prefix}-tpl-${v}`, network: `${prefix}-net-builder` };
}

/** Labels on everything the platform creates in the engine. */
export const LABELS = {
  managed: 'saas.managed',
  /** RESOURCE_PREFIX of the platform that created it: two platforms (or tests) can share an engine. */
  platform: 'saas.platform',
  tenant: 'saas.tenant.id',
  instance: 'saas.instance.id',
  role: 'saas.role',
} as const;

/** Splits the pool (e.g. 10.213.0.0/16) into /28 networks: slot n gets the n-th one (slot 0 is the builders' network). */
export function slotSubnet(pool: string, slot: number): string {
  const [base, bits] = pool.split('/');
  const prefix = Number(bits);
  const octets = (base ?? '').split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !(prefix >= 8 && prefix <= 24)) {
    throw new Error(`bad subnet pool ${pool}`);
  }
  const capacity = 2 ** (28 - prefix);
  if (slot < 0 || slot >= capacity) throw new Error(`slot ${slot} is outside the pool ${pool} (${capacity} networks)`);
  const start = (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;
  const network = (start + slot * 16) >>> 0;
  return `${[network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255].join('.')}/28`;
}

export function slotCapacity(pool: string): number {
  return 2 ** (28 - Number(pool.split('/')[1]));
}

/** Host ports (on `upstreamHost`) for Odoo's HTTP and gevent ports. */
export function slotPorts(portBase: number, slot: number) {
  return { http: portBase + slot * 2, gevent: portBase + slot * 2 + 1 };
}

/** The host the edge and the health probes reach an instance's published ports on: its node's address, else this host. */
export const upstreamHost = (instance: { nodeAddress: string | null }) => instance.nodeAddress ?? '127.0.0.1';

/**
 * The NOLOGIN role every instance role of a platform belongs to: pg_hba admits only its members from the
 * instance networks (scripts/lib/services.sh renders the same name), never the platform's own role.
 */
export function instanceGroupRole(prefix: string): string {
  return `${prefix}_instances`;
}
