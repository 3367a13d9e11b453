import { loadConfig } from './config/config.js';
import { runMigrations } from './db/client.js';
import { buildApp } from './http/app.js';
import { createPlatform } from './platform.js';
import { exitOnConfigError } from './process.js';

const config = await loadConfig().catch(exitOnConfigError);
const platform = createPlatform(config);
await runMigrations(platform.db);
const app = await buildApp(platform);

const shutdown = async (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  await app.close();
  await platform.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.port });
