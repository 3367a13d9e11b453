import { loadConfig } from './config/config.js';
import { startWorkers } from './jobs/workers.js';
import { createPlatform } from './platform.js';
import { exitOnConfigError, exitOnFatalError } from './process.js';

const config = await loadConfig().catch(exitOnConfigError);
const platform = createPlatform(config);
exitOnFatalError(platform.log, 'worker');
const workers = await startWorkers(platform);
platform.log.info('worker started');

const shutdown = async (signal: string) => {
  platform.log.info({ signal }, 'worker shutting down');
  await workers.close();
  await platform.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
