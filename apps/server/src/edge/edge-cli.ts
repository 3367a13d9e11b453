import type { Config } from '../config/config.js';
import { EdgeInputError } from './edge-names.js';
import { EdgeConfigError } from './edge-router.js';
import { edgeSettingsFromConfig } from './edge-settings.js';
import { NginxEdgeRouter } from './nginx-edge-router.js';
import type { RemoteEdgeRouter } from './remote-edge-router.js';

/**
 * `cli.js edge-render`: renders the edge's main config and platform snippets from the configuration,
 * validates the whole tree with nginx -t, swaps it in and reloads nginx when it runs. Instance files
 * are left as they are (the API rewrites them from the database at start-up). Prints one JSON line
 * with the edge directory, so scripts/lib/nginx.sh can start nginx on it.
 */
export async function edgeRenderCommand(config: Config): Promise<number> {
  const stderrLog = { info() {}, warn: (_obj: object, msg: string) => process.stderr.write(`edge: ${msg}\n`) };
  try {
    const settings = edgeSettingsFromConfig(config);
    const router = new NginxEdgeRouter({ settings, baseDomain: config.instanceDomain, log: stderrLog });
    const result = await router.applyPlatform();
    process.stdout.write(`${JSON.stringify({ dir: router.paths.dir, conf: router.paths.mainConf, ...result })}\n`);
    return 0;
  } catch (error) {
    if (error instanceof EdgeConfigError || error instanceof EdgeInputError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/**
 * `cli.js edge-cert [--force]` (TLS mode): obtains the certificates of the platform's own hosts
 * (PUBLIC_URL's and ADMIN_URL's) through ACME HTTP-01 on the running edge, records them for the
 * renewal job, and re-renders the edge so they are served. A host whose certificate has more than
 * 30 days left is skipped unless --force. Prints one JSON line; the CA's own error on failure.
 */
export async function edgeCertCommand(config: Config, args: string[]): Promise<number> {
  if (!config.edge.tls) {
    process.stderr.write('edge-cert: TLS mode is off (PUBLIC_URL is not https://): nothing to certify\n');
    return 1;
  }
  const { createDatabase } = await import('../db/client.js');
  const { CertificatesRepository } = await import('../certificates/certificates.repo.js');
  const { createAcmeIssuer, createEdgeRouter } = await import('./create-edge-router.js');
  const { AcmeError } = await import('./acme-issuer.js');
  const stderrLog = { info() {}, warn: (_obj: object, msg: string) => process.stderr.write(`edge: ${msg}\n`) };
  const settings = edgeSettingsFromConfig(config);
  const router = new NginxEdgeRouter({ settings, baseDomain: config.instanceDomain, log: stderrLog });
  // Remote mode: the challenges go to the edge containers, which re-render with the new files (shared certs volume).
  const redis = config.edge.mode === 'remote' ? new (await import('ioredis')).Redis(config.redisUrl, { maxRetriesPerRequest: 2 }) : null;
  const remote = redis ? (createEdgeRouter(config, stderrLog, redis) as RemoteEdgeRouter) : null;
  const issuer = createAcmeIssuer(config, remote ?? router);
  const database = createDatabase(config.databaseUrl, 1);
  const force = args.includes('--force');
  const results: { host: string; result: string; notAfter?: string }[] = [];
  let failed = false;
  try {
    for (const host of [...new Set([settings.publicHost, settings.adminHost])]) {
      const current = await issuer.current(host);
      if (!force && current && current.notAfter.getTime() - Date.now() > 30 * 86_400_000) {
        results.push({ host, result: 'kept', notAfter: current.notAfter.toISOString() });
        continue;
      }
      try {
        const cert = await issuer.issue(host, [host]);
        await new CertificatesRepository(database.db).saveIssued(cert, { kind: 'platform' });
        results.push({ host, result: 'issued', notAfter: cert.notAfter.toISOString() });
      } catch (error) {
        if (!(error instanceof AcmeError)) throw error;
        failed = true;
        results.push({ host, result: `failed: ${error.message}` });
      }
    }
    if (remote) await remote.refresh();
    const applied = remote ? { reloaded: true, note: 'applied by every running edge' } : await router.applyPlatform();
    process.stdout.write(`${JSON.stringify({ certificates: results, ...applied })}\n`);
    return failed ? 1 : 0;
  } catch (error) {
    if (error instanceof EdgeConfigError || error instanceof EdgeInputError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    redis?.disconnect();
    await database.close();
  }
}

/** How often edge-sync resolves the API's host name (a replaced task is found within this). */
const API_UPSTREAM_CHECK_MS = 2_000;

/**
 * `cli.js edge-sync [--nginx]`: the edge container's process (docs/edge.md#remote-mode). Renders the
 * platform's own config (as edge-render), starts nginx when `--nginx` (and starts it again if it dies),
 * then keeps every route in step with the platform (EdgeSyncer) until SIGTERM or SIGINT: the sync in
 * progress finishes, nginx stops gracefully, exit 0. A platform config nginx refuses exits 1 at once.
 */
export async function edgeSyncCommand(config: Config, args: string[]): Promise<number> {
  const { hostname } = await import('node:os');
  const { randomUUID } = await import('node:crypto');
  const { symlink, lstat } = await import('node:fs/promises');
  const { Redis } = await import('ioredis');
  const pino = (await import('pino')).default;
  const { createDatabase } = await import('../db/client.js');
  const { dependencyErrorLog } = await import('../process.js');
  const { EdgeSyncer } = await import('./edge-sync.js');
  const { NginxSupervisor } = await import('./nginx-supervisor.js');
  const log = pino({ level: config.logLevel, base: { role: 'edge-sync' } }) as unknown as import('fastify').FastifyBaseLogger;
  const dependencyError = dependencyErrorLog(log);
  const router = new NginxEdgeRouter({ settings: edgeSettingsFromConfig(config), baseDomain: config.instanceDomain, log });
  const supervise = args.includes('--nginx');
  try {
    await router.applyPlatform();
  } catch (error) {
    if (error instanceof EdgeConfigError || error instanceof EdgeInputError) {
      log.error({ err: error.message }, 'edge-sync: the platform config is refused');
      return 1;
    }
    throw error;
  }
  let nginx: InstanceType<typeof NginxSupervisor> | null = null;
  if (supervise) {
    // The container's log is the access log: a file on the edge's tmpfs would only grow.
    const accessLog = `${router.paths.logs}/access.log`;
    if (!(await lstat(accessLog).catch(() => null))) await symlink('/dev/stdout', accessLog);
    nginx = new NginxSupervisor({ dir: router.paths.dir, log });
    nginx.start();
  }
  const database = createDatabase(config.databaseUrl, 2, (err) => dependencyError('postgres', err));
  // Named, so an operator (or a test) finds this edge's connections in CLIENT LIST.
  const redisOptions = { maxRetriesPerRequest: 2, connectionName: `${config.queuePrefix}:edge-sync` };
  const redis = new Redis(config.redisUrl, redisOptions);
  const subscriber = new Redis(config.redisUrl, redisOptions);
  redis.on('error', (err) => dependencyError('redis', err));
  subscriber.on('error', (err) => dependencyError('redis subscriber', err));
  const syncer = new EdgeSyncer({
    config,
    log,
    router,
    database,
    redis,
    subscriber,
    replicaId: `${hostname()}-${randomUUID().slice(0, 8)}`,
  });
  await syncer.start();
  // The API's tasks change address when they are replaced: reload nginx so that it resolves them again.
  const { watchUpstreamAddresses } = await import('./api-upstream-watch.js');
  const apiWatch = supervise
    ? watchUpstreamAddresses({
        upstream: router.settings.apiUpstream,
        everyMs: API_UPSTREAM_CHECK_MS,
        onChange: async (addresses) => {
          if (await router.reload())
            log.info({ upstream: router.settings.apiUpstream, addresses }, 'edge-sync: the API moved, nginx reloaded');
        },
        onError: (error) => log.warn({ err: (error as Error).message }, 'edge-sync: reload for the API addresses failed'),
      })
    : null;
  log.info({ dir: router.paths.dir, nginx: supervise, prefix: config.queuePrefix }, 'edge-sync started');
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'edge-sync stopping');
  apiWatch?.stop();
  await syncer.stop();
  await nginx?.stop();
  subscriber.disconnect();
  redis.disconnect();
  await database.close();
  return 0;
}
