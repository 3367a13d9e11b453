import { describe } from 'vitest';
import type { ContainerInfo, InstanceRuntime, Labels } from '../../src/runtime/instance-runtime.js';
import { containerLifecycle } from './runtime-contract-containers.js';
import { useContractFixture } from './runtime-contract-fixture.js';
import { engineNetworksAndOneOffs } from './runtime-contract-networks.js';
import { volumesAndFiles } from './runtime-contract-volumes.js';

/**
 * The promises of `InstanceRuntime` (src/runtime/instance-runtime.ts), in the domain's words, for every driver:
 * `src/runtime/docker/docker-runtime.contract.test.ts` runs them against one Docker engine,
 * `test/swarm/swarm-runtime-contract.swarm.test.ts` against the Swarm driver on the lab. Where a driver deliberately
 * differs (src/runtime/swarm/DESIGN.md), the difference is a fact the driver's file states, not a skipped test.
 * What only one driver has (hardening flags, placement, secrets, overlays kept apart) stays in that driver's tests.
 */
export interface InstanceRuntimeContract {
  driver: string;
  /** The runtime under test; called once the file's own hooks ran (the Swarm lab is up by then). */
  runtime: () => InstanceRuntime;
  /** An image of the Odoo stand-in (test/fixtures/odoo-standin: node, no shell, uid 101) every node has. */
  image: string;
  /** A name of this run's: a DNS label, as Swarm's service names must be. */
  name: (suffix: string) => string;
  /** Put on everything the contract creates, so the driver's file can find what a failed run left. */
  labels: Labels;
  /** A subnet to try for a network; another one is drawn when the engine says it overlaps one in use. */
  subnet: () => string;
  /** A host port to publish on, free where instances answer. */
  hostPort: () => Promise<number>;
  /** Where a published port of this running container answers, seen from the tests' host. */
  addressOf: (info: ContainerInfo) => Promise<string>;
  /** An address the tests' host reaches where the container's published port must not answer. */
  notPublishedOn: (info: ContainerInfo) => Promise<string>;
  /** Where the drivers deliberately differ (src/runtime/swarm/DESIGN.md). */
  differences: {
    /**
     * How `updateLimits` applies new limits: `in-place` keeps the container (Docker: `docker update`, as for
     * `ensureContainer` with only the limits changed); `new-container` restarts it as a new one (Swarm: a new task).
     */
    limitsChange: 'in-place' | 'new-container';
    /** What `startContainer` after a stop and `restartContainer` run: the same container (Docker) or a new one (Swarm: a new task). */
    restartedContainer: 'same' | 'new';
  };
}

/**
 * The contract's tests in one `describe`, in the order they build on one another: the engine, the network and one-off
 * containers (runtime-contract-networks.ts); the volume and its files (runtime-contract-volumes.ts); a container on
 * both, to its removal with them (runtime-contract-containers.ts). What they share is in runtime-contract-fixture.ts.
 */
export function instanceRuntimeContract(c: InstanceRuntimeContract): void {
  describe(`InstanceRuntime contract: ${c.driver}`, () => {
    const fixture = useContractFixture(c);
    engineNetworksAndOneOffs(fixture);
    volumesAndFiles(fixture);
    containerLifecycle(fixture);
  });
}
