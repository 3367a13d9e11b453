import { ensureFirstAdmin } from './admin/ensure-admin.js';
import { loadConfig, parseConfig } from './config/config.js';
import { createDatabase } from './db/client.js';
import { buildApp } from './http/app.js';
import { createPlatform, prepareDatabase } from './platform.js';
import { exitOnConfigError } from './process.js';

const USAGE = `usage: cli.js <command>
  migrate        apply database migrations
  ensure-admin   create the first platform admin if none exists (ADMIN_EMAIL, ADMIN_PASSWORD optional); prints one JSON line
  openapi        print the OpenAPI document
  edge-render    render, validate and install the edge's nginx config (reloads nginx if it runs); prints one JSON line
  edge-sync [--nginx]
                 the edge container's process: keep this machine's edge in step with the platform (EDGE_MODE=remote
                 elsewhere), starting and watching nginx with --nginx; runs until SIGTERM (docs/edge.md#remote-mode)
  edge-cert      TLS mode: obtain the platform hosts' certificates through ACME (--force to renew now); prints one JSON line
  monitoring-config [--stack] --out <dir>
                 write prometheus.yml, alert rules and alertmanager.yml from the configuration (docs/monitoring.md);
                 --stack: those of deploy/stack.monitoring.yaml (docs/deploy.md#monitoring); prints one JSON line
  backup-decrypt <in> <out>
                 decrypt a backup archive as stored into the plain zip with BACKUP_ENCRYPTION_KEY (docs/backups.md); prints one JSON line`;

const [command] = process.argv.slice(2);

switch (command) {
  case 'migrate': {
    const config = await loadConfig().catch(exitOnConfigError);
    const database = createDatabase(config.databaseUrl, 2);
    await prepareDatabase({ database, config });
    await database.close();
    process.stderr.write('migrations applied\n');
    break;
  }
  case 'ensure-admin': {
    const config = await loadConfig().catch(exitOnConfigError);
    const database = createDatabase(config.databaseUrl, 1);
    const email = process.env.ADMIN_EMAIL || `admin@${config.baseDomain.includes('.') ? config.baseDomain : 'platform.local'}`;
    const result = await ensureFirstAdmin(database.db, { email, password: process.env.ADMIN_PASSWORD || undefined });
    await database.close();
    process.stdout.write(`${JSON.stringify(result.created ? result : { created: false, email })}\n`);
    break;
  }
  case 'openapi': {
    // The document needs no live connections: placeholders satisfy the config, nothing connects.
    const config = parseConfig({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://openapi@127.0.0.1:1/none',
      REDIS_URL: 'redis://127.0.0.1:1/0',
      JWT_SECRET: 'x'.repeat(32),
      ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
      LOG_LEVEL: 'silent',
      // The document describes local mode's routes too.
      DEV_MAILBOX: 'true',
    });
    const platform = createPlatform(config);
    const app = await buildApp(platform, { logger: false });
    await app.ready();
    process.stdout.write(`${JSON.stringify(app.swagger(), null, 2)}\n`);
    await app.close();
    platform.redis.disconnect();
    process.exit(0);
    break;
  }
  case 'edge-render': {
    const config = await loadConfig().catch(exitOnConfigError);
    const { edgeRenderCommand } = await import('./edge/edge-cli.js');
    process.exitCode = await edgeRenderCommand(config);
    break;
  }
  case 'edge-sync': {
    const config = await loadConfig().catch(exitOnConfigError);
    const { edgeSyncCommand } = await import('./edge/edge-cli.js');
    process.exitCode = await edgeSyncCommand(config, process.argv.slice(3));
    // Nothing else may keep it running once it stopped (a timer of a library).
    process.exit();
    break;
  }
  case 'edge-cert': {
    const config = await loadConfig().catch(exitOnConfigError);
    const { edgeCertCommand } = await import('./edge/edge-cli.js');
    process.exitCode = await edgeCertCommand(config, process.argv.slice(3));
    break;
  }
  case 'monitoring-config': {
    const { monitoringConfigCommand, monitoringStackConfigCommand } = await import('./monitoring/monitoring-cli.js');
    // The stack's files depend on its listeners only: rendered without the platform's secrets (scripts/deploy-stack.sh).
    if (process.argv.includes('--stack')) {
      process.exitCode = await monitoringStackConfigCommand(process.env, process.argv.slice(3));
      break;
    }
    const config = await loadConfig().catch(exitOnConfigError);
    process.exitCode = await monitoringConfigCommand(config, process.argv.slice(3));
    break;
  }
  case 'backup-decrypt': {
    // Only the key is needed (not the whole configuration): it also runs on a machine that is not the platform's.
    const dotenv = await import('dotenv');
    dotenv.config({ quiet: true });
    const { backupDecryptCommand } = await import('./backups/backup-decrypt-cli.js');
    process.exitCode = await backupDecryptCommand(process.argv.slice(3), process.env);
    break;
  }
  default:
    process.stderr.write(`${USAGE}\n`);
    process.exit(command ? 2 : 0);
}
