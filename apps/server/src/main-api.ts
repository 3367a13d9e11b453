import { loadConfig } from './config/config.js';
import { buildApp } from './http/app.js';
import { syncInstanceRoutes } from './instances/instance-edge.js';
import { createPlatform, prepareDatabase } from './platform.js';
import { exitOnConfigError, exitOnFatalError } from './process.js';

const config = await loadConfig().catch(exitOnConfigError);
const platform = createPlatform(config);
exitOnFatalError(platform.log, 'api');
await prepareDatabase(platform);
const app = await buildApp(platform);
// The edge serves what the database says: every route rewritten, refusals recorded on their instances.
await syncInstanceRoutes(platform)
  .then((result) => platform.log.info(result, 'edge routes synced'))
  .catch((err: Error) => platform.log.error({ err: err.message }, 'edge routes could not be synced'));

const shutdown = async (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  await app.close();
  await platform.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

await app.listen({ host: config.host, port: config.port });
const metricsAt = await app.internal.listen({ host: config.metrics.host, port: config.metrics.port });
app.log.info({ address: `${metricsAt}/metrics` }, 'internal listener (metrics) started');
