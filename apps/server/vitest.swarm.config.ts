import { defineConfig } from 'vitest/config';
import { longFirst } from './test/long-first-sequencer.js';

/** Files at once: each has a lab of its own (test/support/swarm-lab.ts `testLab`, by VITEST_POOL_ID). */
export const SWARM_WORKERS = 2;

/**
 * The swarm suite (test/swarm): a Docker Swarm of extra dockerd daemons in network namespaces on this machine
 * (scripts/swarm-lab.sh, docs/swarm-lab.md). Root only. Each file brings a lab up and removes it; the two workers'
 * labs have their own names and subnets, so two files run at once, the stack's (the longest) first.
 */
export default defineConfig({
  test: {
    include: ['test/swarm/**/*.swarm.test.ts'],
    globalSetup: ['test/swarm/swarm-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: SWARM_WORKERS,
    sequence: { sequencer: longFirst(['test/swarm/stack-deploy.swarm.test.ts']) },
  },
});
