/**
 * The server side of bench/request-path.bench.ts, in a process of its own so that the load generator
 * does not share its event loop. `bare`: a bare Fastify "hello" (no logger, no hooks) as the yardstick.
 * `api`: the real API as main-api.ts builds it (its logger at LOG_LEVEL, writing to stdout), configured
 * from the environment the bench passes. Tells the parent its port over IPC, and its CPU time when asked.
 */
import Fastify from 'fastify';
import { parseConfig } from '../src/config/config.js';
import { buildApp } from '../src/http/app.js';
import { createPlatform } from '../src/platform.js';

const mode = process.argv[2];

async function start() {
  if (mode === 'bare') {
    const app = Fastify({ logger: false });
    app.get('/', async () => ({ hello: 'world' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, close: () => app.close() };
  }
  if (mode === 'api') {
    const platform = createPlatform(parseConfig(process.env));
    const app = await buildApp(platform);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const close = async () => {
      await app.close();
      await platform.close();
    };
    return { app, close };
  }
  throw new Error(`unknown mode ${mode}: bare | api`);
}

const { app, close } = await start();
const address = app.server.address();
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.once('SIGTERM', () => void close().then(() => process.exit(0)));
