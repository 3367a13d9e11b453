import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { AdminService } from './admin/admin.service.js';
import { AdminInstancesService } from './admin/admin-instances.service.js';
import { AdminTenantsService } from './admin/admin-tenants.service.js';
import { AdminUsersService } from './admin/admin-users.service.js';
import { AuditService } from './audit/audit.service.js';
import { AccessTokens } from './auth/access-token.js';
import { AccountService } from './auth/account.service.js';
import { AuthService } from './auth/auth.service.js';
import { ImpersonationService } from './auth/impersonation.service.js';
import { RateLimits } from './auth/rate-limits.js';
import { upgradeSealedSecrets } from './auth/sealed-secrets-upgrade.js';
import { TotpService } from './auth/totp.service.js';
import { takeFinalBackup } from './backups/backup-maintenance.js';
import { BackupRunner } from './backups/backup-runner.js';
import { BackupsService } from './backups/backups.service.js';
import { type BackupStorage, createBackupStorage } from './backups/storage/backup-storage.js';
import { BillingService } from './billing/billing.service.js';
import { BillingEvents } from './billing/billing-events.js';
import type { BillingProvider } from './billing/billing-provider.js';
import { PlansService } from './billing/plans.service.js';
import { BillingReports } from './billing/revenue.js';
import { createBillingProvider } from './billing/stripe/stripe-provider.js';
import type { Config } from './config/config.js';
import { createDatabase, type Database, type Db, runMigrations } from './db/client.js';
import { removeInstanceDomains } from './domains/domains.jobs.js';
import { DomainsService } from './domains/domains.service.js';
import type { AcmeIssuer } from './edge/acme-issuer.js';
import { createAcmeIssuer, createEdgeRouter } from './edge/create-edge-router.js';
import type { EdgeRouter } from './edge/edge-router.js';
import { REDACTED_PATHS } from './http/logger.js';
import { withSessionLock } from './instances/instance-locks.js';
import { instanceGroupRole } from './instances/instance-names.js';
import { InstanceOperations } from './instances/instance-operations.js';
import { OdooVersionsRepository } from './instances/instances.repo.js';
import { InstancesService } from './instances/instances.service.js';
import { VersionsService } from './instances/versions.service.js';
import { createQueues, type Queues } from './jobs/queues.js';
import { MailService } from './mail/mail.service.js';
import { AlertsService } from './monitoring/alerts.service.js';
import { MetricsService } from './monitoring/metrics.service.js';
import { createMetricsStore } from './monitoring/prometheus/create-metrics-store.js';
import { type DependencyErrorLog, dependencyErrorLog } from './process.js';
import { createInstanceRuntime } from './runtime/create-instance-runtime.js';
import type { EgressPolicy } from './runtime/egress-policy.js';
import { createEgressPolicy } from './runtime/firewall/create-egress-policy.js';
import type { InstanceRuntime } from './runtime/instance-runtime.js';
import { EgressStates } from './system/egress-states.js';
import { OperationsService } from './system/operations.service.js';
import { WorkerHeartbeats } from './system/worker-heartbeats.js';
import { PostgresTenantDbServer } from './tenant-db/postgres/postgres-tenant-db.js';
import type { TenantDbServer } from './tenant-db/tenant-db-server.js';
import { TenantsService } from './tenants/tenants.service.js';

/** The wired-up platform: connections and services, shared by the API, the worker and the CLI. */
export interface Platform {
  config: Config;
  log: FastifyBaseLogger;
  /** Logs a dependency's connection errors, rate-limited; for every client that reconnects by itself. */
  dependencyError: DependencyErrorLog;
  database: Database;
  db: Db;
  redis: Redis;
  queues: Queues;
  mail: MailService;
  auth: AuthService;
  account: AccountService;
  totp: TotpService;
  audit: AuditService;
  admin: AdminService;
  /** Operators' tenant screens and actions: detail, suspension and resumption (docs/admin.md#tenants). */
  adminTenants: AdminTenantsService;
  /** Operators' instance screens and actions across tenants (docs/admin.md#instances). */
  adminInstances: AdminInstancesService;
  /** Operators' user screens and actions, support impersonation included (docs/admin.md). */
  adminUsers: AdminUsersService;
  /** Support impersonation sessions and their handoff to the tenant app. */
  impersonation: ImpersonationService;
  plans: PlansService;
  /** Stripe when configured; null is the manual provider (docs/billing.md). */
  billingProvider: BillingProvider | null;
  /** Subscriptions: the billing page, checkout, and `apply` for provider events and manual actions. */
  billing: BillingService;
  /** Webhook intake and processing of billing provider events. */
  billingEvents: BillingEvents;
  /** Subscriptions, failed payments, MRR/ARR and churn for the admin dashboard. */
  billingReports: BillingReports;
  versions: VersionsService;
  tenants: TenantsService;
  runtime: InstanceRuntime;
  /** What instance networks may reach; the worker applies it (docs/firewall.md). */
  egress: EgressPolicy;
  /** Where the policy stands on each node: the worker publishes it after each apply, the Nodes page reads it. */
  egressStates: EgressStates;
  tenantDb: TenantDbServer;
  /** Where backups are kept: a local directory or S3, encrypted with the operator's key (docs/backups.md). */
  backupStorage: BackupStorage;
  /** Backups and restores as the API offers them (the worker runs them: backup-runner.ts, restore-runner.ts). */
  backups: BackupsService;
  edge: EdgeRouter;
  instances: InstancesService;
  instanceOps: InstanceOperations;
  domains: DomainsService;
  /** Worker processes announce themselves here; /ready and the admin System page read it. */
  heartbeats: WorkerHeartbeats;
  operations: OperationsService;
  /** Alertmanager's notifications: the alerts table and the operators' mail (docs/monitoring.md). */
  alerts: AlertsService;
  /** Charts over time, read from Prometheus (docs/monitoring.md#charts). */
  metrics: MetricsService;
  /** The ACME issuer of this machine's edge, created on first use (it reads ACME_CA_FILE). */
  acme: () => AcmeIssuer;
  close(): Promise<void>;
}

export interface PlatformOverrides {
  log?: FastifyBaseLogger;
  edge?: EdgeRouter;
}

export function createPlatform(config: Config, options: PlatformOverrides = {}): Platform {
  const log =
    options.log ?? (pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }) as FastifyBaseLogger);
  // Every client of a dependency handles its errors and reconnects by itself (docs/reliability.md).
  const dependencyError = dependencyErrorLog(log);
  const database = createDatabase(config.databaseUrl, 10, (err) => dependencyError('postgres', err));
  const db = database.db;
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', (err) => dependencyError('redis', err));
  const queues = createQueues(config.redisUrl, config.queuePrefix);
  for (const queue of queues.all) queue.on('error', (err) => dependencyError(`queue ${queue.name}`, err));
  const mail = new MailService(db, queues, log);
  const totp = new TotpService(db, config.encryptionKey);
  const tokens = new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds);
  const impersonation = new ImpersonationService({ db, redis, tokens, config });
  const auth = new AuthService({
    db,
    config,
    tokens,
    limits: new RateLimits(redis, config),
    mail,
    totp,
  });
  const runtime = createInstanceRuntime(config);
  const tenantDb: TenantDbServer = new PostgresTenantDbServer(config.tenantDbAdminUrl, instanceGroupRole(config.resourcePrefix), (err) =>
    dependencyError('tenant postgres', err),
  );
  const edge = options.edge ?? createEdgeRouter(config, log, redis);
  const backupStorage = createBackupStorage(config.backups.storage);
  const instanceOps = new InstanceOperations({ config, database, runtime, tenantDb, backupStorage, edge, redis, log });
  let issuer: AcmeIssuer | undefined;
  const acme = () => {
    issuer ??= createAcmeIssuer(config, edge, log);
    return issuer;
  };
  const heartbeats = new WorkerHeartbeats(redis, config.queuePrefix);
  const instances = new InstancesService({ db, config, queues, runtime, tenantDb });
  const audit = new AuditService(db);
  const billingProvider = createBillingProvider(config);
  const billing = new BillingService({ db, config, queues, mail, audit, billingProvider, log });
  // An instance's custom domains and their certificates go with it.
  instanceOps.beforeDelete.push((instance) => removeInstanceDomains({ database, issuer: acme }, instance.id));
  // The final backup comes first among the deletion's work (docs/backups.md).
  const opsDeps = { config, database, runtime, tenantDb, backupStorage, edge, redis, log };
  instanceOps.beforeDelete.unshift((instance) => takeFinalBackup(opsDeps, new BackupRunner(opsDeps), instance));
  return {
    config,
    log,
    dependencyError,
    runtime,
    egress: createEgressPolicy(config, runtime),
    egressStates: new EgressStates(redis, config),
    tenantDb,
    backupStorage,
    backups: new BackupsService({ db, config, queues, storage: backupStorage }),
    edge,
    instanceOps,
    domains: new DomainsService({ db, config, queues }),
    heartbeats,
    operations: new OperationsService({ queues, heartbeats }),
    metrics: new MetricsService({ store: createMetricsStore(config.monitoring), db }),
    alerts: new AlertsService({ db, mail, log, emailTo: config.monitoring.alertEmailTo, adminUrl: config.adminUrl }),
    acme,
    instances,
    database,
    db,
    redis,
    queues,
    mail,
    auth,
    account: new AccountService(db),
    totp,
    audit,
    billingProvider,
    billing,
    billingEvents: new BillingEvents({ db, queues, mail, billing, billingProvider, log }),
    admin: new AdminService(db),
    adminTenants: new AdminTenantsService({ db, config, queues, mail, redis, log, billingProvider }),
    adminInstances: new AdminInstancesService({ db, config, instances }),
    adminUsers: new AdminUsersService({ db, config, auth, mail, impersonation }),
    impersonation,
    plans: new PlansService({ db, queues, config, mail, billingProvider }),
    billingReports: new BillingReports({ db, config }),
    versions: new VersionsService({ db, queues }),
    tenants: new TenantsService({ db, mail, config }),
    async close() {
      await queues.close();
      redis.disconnect();
      await Promise.all([database.close(), tenantDb.close()]);
    },
  };
}

/** Brings the platform database up to date: migrations, sealed secrets in the current format, then the seeded catalogs. */
export async function prepareDatabase(platform: Pick<Platform, 'database' | 'config'>) {
  const { db, pool } = platform.database;
  // API processes start side by side (and `cli.js migrate` may run meanwhile): one prepares, the others
  // wait for it and then find nothing left to do.
  // The lock holds one of the pool's connections: the pool needs at least two.
  await withSessionLock(pool, 'platform:prepare-database', async () => {
    await runMigrations(db);
    await upgradeSealedSecrets(db, platform.config.encryptionKey);
    await new OdooVersionsRepository(db).seed(platform.config.odooVersions);
  });
}
