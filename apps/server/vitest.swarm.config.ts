import { defineConfig } from 'vitest/config';

/**
 * The swarm suite (test/swarm): a Docker Swarm of extra dockerd daemons in network namespaces on this machine
 * (scripts/swarm-lab.sh, docs/swarm-lab.md). Root only. Each file brings a lab up and removes it; labs share
 * a name and subnet, so one file at a time.
 */
export default defineConfig({
  test: {
    include: ['test/swarm/**/*.swarm.test.ts'],
    globalSetup: ['test/swarm/swarm-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
