import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isHostname } from '../edge/edge-names.js';
import { slotCapacity } from '../instances/instance-names.js';
import { isNetworkAddress, subnetsOverlap } from '../runtime/subnets.js';
import { type BackupConfig, backupConfig, backupEnvShape, checkBackupEnv } from './backup-config.js';
import { type BillingConfig, billingConfig, billingEnvShape, checkBillingEnv } from './billing-config.js';
import { type EdgeConfig, edgeConfig, edgeEnvShape } from './edge-env.js';
import { checkExposure, staffTwoFactorRequired } from './exposure.js';
import { apiMetricsPorts, checkApiProcesses, type MonitoringConfig, monitoringConfig, monitoringEnvShape } from './monitoring-env.js';
import { checkRuntimeEnv, type RuntimeConfig, runtimeConfig, runtimeEnvShape } from './runtime-env.js';
import { resolveSecretFiles } from './secret-files.js';

const DEV_SECRET_MARKERS = ['change-me', 'changeme', 'secret', 'dev-secret'];

const duration = (max: number) => z.coerce.number().int().positive().max(max);

/** The environment the API and worker accept. Parsed once at start-up; nothing else reads process.env. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    PUBLIC_URL: z.url().default('http://localhost:8080'),
    ADMIN_URL: z.url().default('http://admin.localhost:8080'),
    // Instances answer at `<slug>.<this>`; in production a domain of its own (docs/configuration.md).
    INSTANCE_BASE_DOMAIN: z.string().refine(isHostname, 'must be a lower-case host name such as odoo-customers.example.net').optional(),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
    ENCRYPTION_KEY: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),
    ACCESS_TOKEN_TTL_SECONDS: duration(900).default(900),
    REFRESH_TOKEN_TTL_DAYS: duration(90).default(30),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().default('Odoo Cloud <no-reply@localhost>'),
    // Local mode only, and only on loopback URLs (exposure.ts): see docs/configuration.md.
    DEV_MAILBOX: z.enum(['true', 'false']).default('false'),
    STAFF_TWO_FACTOR: z.enum(['required', 'optional']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: z.string().default('127.0.0.1'),
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
    LOGIN_LOCK_THRESHOLD: z.coerce.number().int().positive().default(10),
    LOGIN_LOCK_MINUTES: z.coerce.number().int().positive().default(15),
    ODOO_VERSIONS: z
      .string()
      .regex(/^\s*[0-9][0-9a-z.]*=[^,=\s]+(\s*,\s*[0-9][0-9a-z.]*=[^,=\s]+)*\s*$/i, 'must look like 18.0=odoo:18.0,17.0=odoo:17.0')
      .default('18.0=odoo:18.0,17.0=odoo:17.0'),
    TENANT_DB_ADMIN_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    TENANT_DB_HOST: z.string().default('host.docker.internal'),
    TENANT_DB_PORT: z.coerce.number().int().min(1).max(65535).default(5432),
    DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
    // Where instances run: this engine, or a swarm (runtime-env.ts, docs/deploy.md).
    ...runtimeEnvShape,
    QUEUE_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,31}$/)
      .optional(),
    RESOURCE_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9]{1,15}$/, 'must be 2-16 lowercase letters and digits')
      .default('saas'),
    INSTANCE_SUBNET_POOL: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/(8|9|1\d|2[0-4])$/, 'must be an IPv4 CIDR between /8 and /24')
      .default('10.213.0.0/16'),
    INSTANCE_PORT_BASE: z.coerce.number().int().min(1024).max(60000).default(20000),
    // Firewall rules on the instance networks' egress (docs/firewall.md); needs root.
    EGRESS_POLICY: z.enum(['on', 'off']).default('on'),
    PROVISION_FROM_TEMPLATE: z.enum(['true', 'false']).default('true'),
    IMAGE_PULL: z.enum(['true', 'false']).default('true'),
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(30),
    ORPHAN_GRACE_SECONDS: z.coerce.number().int().min(0).default(600),
    NODE_LOST_GRACE_SECONDS: z.coerce.number().int().min(1).default(60),
    INSTANCE_HEALTH_TIMEOUT_SECONDS: z.coerce.number().int().min(5).default(180),
    WORKFLOW_STEP_PAUSE_MS: z.coerce.number().int().min(0).max(60_000).default(0),
    // The edge (apps/server/src/edge): see docs/edge.md.
    ...edgeEnvShape,
    // Internal listener (metrics): loopback by default, never proxied by the edge. 0: any free port.
    METRICS_HOST: z.string().default('127.0.0.1'),
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    // API processes side by side on PORT (SO_REUSEPORT) under supervisord: one crashing is no outage.
    // Process n (API_PROCESS_INDEX, set by the supervisor) has its internal listener on METRICS_PORT + n.
    API_PROCESSES: z.coerce.number().int().min(1).max(16).default(2),
    API_PROCESS_INDEX: z.coerce.number().int().min(0).max(15).default(0),
    // Monitoring (monitoring/): see docs/monitoring.md.
    ...monitoringEnvShape,
    ACME_DIRECTORY_URL: z.url().default('https://acme-v02.api.letsencrypt.org/directory'),
    ACME_EMAIL: z.email().optional(),
    ACME_CA_FILE: z.string().optional(),
    // Billing (billing/): see docs/billing.md.
    ...billingEnvShape,
    // Backups (backups/): see docs/backups.md.
    ...backupEnvShape,
    // Custom domains (domains/): see docs/custom-domains.md.
    PUBLIC_IPV4: z.ipv4().optional(),
    DOMAIN_VERIFY_PORT: z.coerce.number().int().min(1).max(65535).default(80),
    DOMAIN_VERIFY_ALLOW_LOOPBACK: z.enum(['true', 'false']).default('false'),
    DOMAIN_VERIFY_DNS_SERVER: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$/, 'must be an IPv4 address with an optional :port')
      .optional(),
  })
  .superRefine((env, ctx) => {
    checkEngineNames(env, ctx);
    checkExposure(env, ctx);
    checkBillingEnv(env, ctx);
    checkBackupEnv(env, ctx);
    checkApiProcesses(env, ctx);
    checkRuntimeEnv(env, ctx);
    if (env.NODE_ENV !== 'production') return;
    const unsafe = (name: 'JWT_SECRET' | 'ENCRYPTION_KEY', value: string) => {
      const lower = value.toLowerCase();
      if (DEV_SECRET_MARKERS.some((m) => lower.includes(m)) || new Set(value).size < 10) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'looks like a default or weak secret; generate a random one' });
      }
    };
    unsafe('JWT_SECRET', env.JWT_SECRET);
    unsafe('ENCRYPTION_KEY', env.ENCRYPTION_KEY);
    for (const name of ['PUBLIC_URL', 'ADMIN_URL'] as const) {
      if (!env[name].startsWith('https://')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be https:// in production (cookies are Secure only under TLS)' });
      }
    }
    if (env.WORKFLOW_STEP_PAUSE_MS > 0) {
      ctx.addIssue({ code: 'custom', path: ['WORKFLOW_STEP_PAUSE_MS'], message: 'is for crash tests only and must be 0 in production' });
    }
    if (env.DOMAIN_VERIFY_ALLOW_LOOPBACK === 'true') {
      ctx.addIssue({ code: 'custom', path: ['DOMAIN_VERIFY_ALLOW_LOOPBACK'], message: 'is for tests and local set-ups only' });
    }
    if (env.DOMAIN_VERIFY_PORT !== 80) {
      ctx.addIssue({
        code: 'custom',
        path: ['DOMAIN_VERIFY_PORT'],
        message: 'must be 80 in production (where HTTP-01 validation arrives too)',
      });
    }
  });

export type { BackupConfig, BillingConfig };
export type Env = z.infer<typeof envSchema>;

/** Docker's default bridge (docker0): instance networks there would clash with the engine's own. */
const DOCKER_BRIDGE = '172.17.0.0/16';

/**
 * What the tests take on an engine, per RESOURCE_PREFIX: a subnet pool and a range of host ports
 * (test/subnet-pools.env, test/test-env.ts and test/odoo/odoo-env.ts, checked against this list by
 * config.test.ts). A platform on the same engine keeps out of them, or a test run would break its
 * networks or take its ports.
 */
export const TEST_RESERVATIONS = [
  { pool: '10.214.0.0/20', portBase: 31000, prefix: 'saastest' },
  { pool: '10.215.0.0/20', portBase: 32000, prefix: 'saasodoo' },
] as const;

/** The host ports instances may publish: two per slot of the pool, from the base. */
export function instancePortRange(portBase: number, pool: string): [number, number] {
  return [portBase, portBase + 2 * slotCapacity(pool) - 1];
}

/**
 * The kernel's ephemeral ports (outgoing connections, anything bound to port 0): a published port in this
 * range can be taken by chance before its container starts.
 */
function ephemeralPorts(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux, or no /proc: Linux's default.
  }
  return [32768, 60999];
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];

type EngineEnv = {
  INSTANCE_SUBNET_POOL: string;
  INSTANCE_PORT_BASE: number;
  NODE_ENV: string;
  RESOURCE_PREFIX: string;
  PORT: number;
  EDGE_PORT: number;
  EDGE_HTTPS_PORT: number;
};

/** A subnet pool or host ports that would make this platform's networks or ports collide with the engine's, the machine's or the tests'. */
function checkEngineNames(env: EngineEnv, ctx: z.RefinementCtx): void {
  const pool = env.INSTANCE_SUBNET_POOL;
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (!isNetworkAddress(pool)) issue('INSTANCE_SUBNET_POOL', `${pool} is not the first address of its block`);
  if (subnetsOverlap(pool, DOCKER_BRIDGE)) issue('INSTANCE_SUBNET_POOL', `${pool} overlaps Docker's default bridge ${DOCKER_BRIDGE}`);
  const ports = instancePortRange(env.INSTANCE_PORT_BASE, pool);
  const range = `${ports[0]}-${ports[1]} (two per instance of ${pool})`;
  if (ports[1] > 65535) issue('INSTANCE_PORT_BASE', `instances would publish ports ${range}, past 65535`);
  const ephemeral = ephemeralPorts();
  if (overlaps(ports, ephemeral)) {
    issue('INSTANCE_PORT_BASE', `instances' ports ${range} overlap the kernel's ephemeral ports ${ephemeral.join('-')}`);
  }
  for (const name of ['PORT', 'EDGE_PORT', 'EDGE_HTTPS_PORT'] as const) {
    if (overlaps(ports, [env[name], env[name]])) issue('INSTANCE_PORT_BASE', `instances' ports ${range} include ${name} ${env[name]}`);
  }
  for (const reserved of TEST_RESERVATIONS) {
    // The tests' prefix, and anything run as a test (benchmarks...), may use them (test/subnet-pools.env).
    if (env.NODE_ENV === 'test' || env.RESOURCE_PREFIX === reserved.prefix) continue;
    if (subnetsOverlap(pool, reserved.pool)) {
      issue('INSTANCE_SUBNET_POOL', `${pool} overlaps ${reserved.pool}, the pool of the tests' prefix ${reserved.prefix}`);
    }
    const theirs = instancePortRange(reserved.portBase, reserved.pool);
    if (overlaps(ports, theirs)) {
      issue(
        'INSTANCE_PORT_BASE',
        `instances' ports ${range} overlap ${theirs.join('-')}, the ports of the tests' prefix ${reserved.prefix}`,
      );
    }
  }
}

export interface Config {
  env: Env['NODE_ENV'];
  production: boolean;
  host: string;
  port: number;
  publicUrl: string;
  adminUrl: string;
  /** The platform's base domain, e.g. `localhost` or `cloud.example.com`. */
  baseDomain: string;
  /**
   * Instances are served at `<slug>.<instanceDomain>` (instanceHost). INSTANCE_BASE_DOMAIN, by default the
   * base domain; a separate domain keeps tenants' pages off the platform's site and its cookies.
   */
  instanceDomain: string;
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  encryptionKey: Buffer;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  smtpUrl: string | undefined;
  /** Billing (docs/billing.md): Stripe when a key is set, else the manual provider. */
  billing: BillingConfig;
  /** Backups (docs/backups.md): where archives are stored, encrypted with the operator's key. */
  backups: BackupConfig;
  mailFrom: string;
  /** Serve GET /dev/mailbox (local mode on loopback URLs only; config refuses it elsewhere). */
  devMailbox: boolean;
  /** Platform staff must have two-factor authentication on to use platform routes. */
  staffTwoFactor: boolean;
  logLevel: Env['LOG_LEVEL'];
  trustProxy: string;
  bodyLimitBytes: number;
  /** Cookies get the Secure flag when the platform is served over TLS. */
  secureCookies: boolean;
  loginLockThreshold: number;
  loginLockMinutes: number;
  /** Seed of the Odoo versions catalog: version → image, first is the default. */
  odooVersions: { version: string; image: string }[];
  tenantDbAdminUrl: string;
  /** How containers reach the tenants' PostgreSQL. */
  tenantDbHost: string;
  tenantDbPort: number;
  /** This machine's engine: the Docker runtime's, and the engine the platform's own tools use. */
  dockerSocket: string;
  /** Where instances run: `docker` (DOCKER_SOCKET) or a swarm's manager and node engines. */
  runtime: RuntimeConfig;
  /** Names shared objects (template databases, builder network) and labels everything this platform creates. */
  resourcePrefix: string;
  /** Redis key prefix of the job queues (default: RESOURCE_PREFIX). */
  queuePrefix: string;
  instanceSubnetPool: string;
  instancePortBase: number;
  /** Keep instances away from link-local, private networks and the host's services (docs/firewall.md). */
  egressPolicy: boolean;
  provisionFromTemplate: boolean;
  /** Pull a missing Odoo image from its registry (off where no registry may be contacted, e.g. tests). */
  imagePull: boolean;
  reconcileIntervalSeconds: number;
  orphanGraceSeconds: number;
  /** A swarm node down for longer than this is lost: its instances come back on other nodes from their backups. */
  nodeLostGraceSeconds: number;
  instanceHealthTimeoutSeconds: number;
  /** Pause before each workflow step, so crash tests can kill a worker inside a chosen step. */
  workflowStepPauseMs: number;
  /** The public entry point (edge/): `nginx` renders and reloads our nginx; `log` only logs (the default in tests). */
  edge: EdgeConfig;
  /**
   * The API's internal listener (Prometheus metrics, the alert webhook), apart from the public API port:
   * this process's port, and every API process's (`processes` of them share PORT), for scraping.
   */
  metrics: { host: string; port: number; ports: number[] };
  /** Prometheus, Alertmanager, the worker's metrics listener and alert intake (docs/monitoring.md). */
  monitoring: MonitoringConfig;
  acme: { directoryUrl: string; email: string | undefined; caFile: string | undefined };
  /** Custom domains: the A record tenants may point at, and how ownership is checked. */
  domains: {
    publicIpv4: string | undefined;
    /** Port of the HTTP check (80; tests use their private edge's port). */
    verifyPort: number;
    /** Tests and local set-ups: a domain may resolve to a loopback address. Never in production. */
    allowLoopback: boolean;
    /** `ip[:port]` of the DNS server used for the check; unset: the system's resolver. */
    dnsServer: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(source: Record<string, string | undefined>): Config {
  // Empty strings in .env mean "unset", so defaults apply.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const env = result.data;
  return {
    env: env.NODE_ENV,
    production: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    publicUrl: env.PUBLIC_URL.replace(/\/$/, ''),
    adminUrl: env.ADMIN_URL.replace(/\/$/, ''),
    baseDomain: new URL(env.PUBLIC_URL).hostname,
    instanceDomain: env.INSTANCE_BASE_DOMAIN ?? new URL(env.PUBLIC_URL).hostname,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    jwtSecret: env.JWT_SECRET,
    encryptionKey: Buffer.from(env.ENCRYPTION_KEY, 'base64'),
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
    smtpUrl: env.SMTP_URL,
    billing: billingConfig(env),
    backups: backupConfig(env),
    mailFrom: env.MAIL_FROM,
    devMailbox: env.DEV_MAILBOX === 'true',
    staffTwoFactor: staffTwoFactorRequired(env),
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    secureCookies: env.PUBLIC_URL.startsWith('https://'),
    loginLockThreshold: env.LOGIN_LOCK_THRESHOLD,
    loginLockMinutes: env.LOGIN_LOCK_MINUTES,
    odooVersions: env.ODOO_VERSIONS.split(',').map((pair) => {
      const [version = '', image = ''] = pair.trim().split('=');
      return { version, image };
    }),
    tenantDbAdminUrl: env.TENANT_DB_ADMIN_URL ?? env.DATABASE_URL,
    tenantDbHost: env.TENANT_DB_HOST,
    tenantDbPort: env.TENANT_DB_PORT,
    dockerSocket: env.DOCKER_SOCKET,
    runtime: runtimeConfig(env),
    resourcePrefix: env.RESOURCE_PREFIX,
    queuePrefix: env.QUEUE_PREFIX ?? env.RESOURCE_PREFIX,
    instanceSubnetPool: env.INSTANCE_SUBNET_POOL,
    instancePortBase: env.INSTANCE_PORT_BASE,
    egressPolicy: env.EGRESS_POLICY === 'on',
    provisionFromTemplate: env.PROVISION_FROM_TEMPLATE === 'true',
    imagePull: env.IMAGE_PULL === 'true',
    reconcileIntervalSeconds: env.RECONCILE_INTERVAL_SECONDS,
    orphanGraceSeconds: env.ORPHAN_GRACE_SECONDS,
    nodeLostGraceSeconds: env.NODE_LOST_GRACE_SECONDS,
    instanceHealthTimeoutSeconds: env.INSTANCE_HEALTH_TIMEOUT_SECONDS,
    workflowStepPauseMs: env.WORKFLOW_STEP_PAUSE_MS,
    edge: edgeConfig(env),
    metrics: { host: env.METRICS_HOST, port: apiMetricsPorts(env)[env.API_PROCESS_INDEX] ?? 0, ports: apiMetricsPorts(env) },
    monitoring: monitoringConfig(env),
    acme: { directoryUrl: env.ACME_DIRECTORY_URL, email: env.ACME_EMAIL, caFile: env.ACME_CA_FILE },
    domains: {
      publicIpv4: env.PUBLIC_IPV4,
      verifyPort: env.DOMAIN_VERIFY_PORT,
      allowLoopback: env.DOMAIN_VERIFY_ALLOW_LOOPBACK === 'true',
      dnsServer: env.DOMAIN_VERIFY_DNS_SERVER,
    },
  };
}

/** Reads `.env` (if present) into the environment, and secrets from `<NAME>_FILE` files, then validates it. */
export async function loadConfig(): Promise<Config> {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
  const { env, problems } = resolveSecretFiles(process.env, Object.keys(envSchema.shape));
  if (problems.length > 0) throw new ConfigError(problems);
  return parseConfig(env);
}
