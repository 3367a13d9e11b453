import type { FastifyListenOptions } from 'fastify';
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

const shutdown = async (signal: string) => {
  app.log.info({ signal }, 'shutting down');
  await app.close();
  await platform.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

// reusePort: the API's processes (API_PROCESSES, under supervisord) share PORT; the kernel spreads
// connections over the live ones, so one that crashes or restarts takes nothing down.
// (Fastify hands its listen options to net.Server#listen; its types do not name reusePort yet.)
const publicListen: FastifyListenOptions = { host: config.host, port: config.port };
await app.listen({ ...publicListen, reusePort: true } as FastifyListenOptions);
// The edge serves what the database says: every route rewritten, refusals recorded on their instances.
// After listening: the edge keeps serving its current routes meanwhile, and a restarted API answers
// again as soon as it can (its start-up is the API's outage after a crash).
void syncInstanceRoutes(platform)
  .then((result) => platform.log.info(result, 'edge routes synced'))
  .catch((err: Error) => platform.log.error({ err: err.message }, 'edge routes could not be synced'));
const metricsAt = await app.internal.listen({ host: config.metrics.host, port: config.metrics.port });
app.log.info({ address: `${metricsAt}/metrics` }, 'internal listener (metrics) started');
