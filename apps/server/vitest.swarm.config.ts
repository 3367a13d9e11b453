import { defineConfig } from 'vitest/config';
import { longFirst } from './test/long-first-sequencer.js';

/**
 * Files at once. Each worker has a lab of its own (test/support/swarm-lab.ts `testLab`, by VITEST_POOL_ID), so 2 works
 * and saves about 140 s here; on a loaded machine (the other suites' runs) a lab's task then missed its answer once,
 * so the suite runs one file at a time until that is understood.
 */
export const SWARM_WORKERS = 1;

/**
 * The swarm suite (test/swarm): a Docker Swarm of extra dockerd daemons in network namespaces on this machine
 * (scripts/swarm-lab.sh, docs/swarm-lab.md). Root only. Each file brings a lab up and removes it, the stack's (the
 * longest) first.
 */
export default defineConfig({
  test: {
    include: ['test/swarm/**/*.swarm.test.ts'],
    globalSetup: ['test/swarm/swarm-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: SWARM_WORKERS,
    fileParallelism: SWARM_WORKERS > 1,
    sequence: { sequencer: longFirst(['test/swarm/stack-deploy.swarm.test.ts']) },
  },
});
