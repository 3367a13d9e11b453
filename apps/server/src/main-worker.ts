import { loadConfig } from './config/config.js';
import { startWorkers } from './jobs/workers.js';
import { startWorkerMetrics } from './monitoring/worker-metrics.js';
import { createPlatform } from './platform.js';
import { exitOnConfigError, exitOnFatalError } from './process.js';

const config = await loadConfig().catch(exitOnConfigError);
const platform = createPlatform(config);
exitOnFatalError(platform.log, 'worker');
const workers = await startWorkers(platform);
// A metrics port already taken must not stop the jobs: Prometheus then reports the worker down (WorkerDown).
const metrics = await startWorkerMetrics(platform).catch((err: Error) => {
  platform.log.error({ err: err.message }, 'worker metrics listener could not start');
  return null;
});
platform.log.info({ metrics: metrics && `${metrics.address}/metrics` }, 'worker started');

const shutdown = async (signal: string) => {
  platform.log.info({ signal }, 'worker shutting down');
  await workers.close();
  await metrics?.close();
  await platform.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
