import { networkInterfaces } from 'node:os';
import { instanceRuntimeContract } from '../../../test/contract/instance-runtime.contract.js';
import { IMAGE, n, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { freePort } from '../../../test/support/nginx.js';

// The InstanceRuntime contract against this machine's engine (test/support/docker-runtime.ts removes what the run left).
useTestRun();

/** An address of this host other than loopback: the Docker driver publishes on 127.0.0.1 only. */
function hostAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('this host has no IPv4 address besides loopback');
  return address;
}

instanceRuntimeContract({
  driver: 'docker',
  runtime: () => runtime,
  image: IMAGE,
  name: n,
  // The run's label plus one of the contract's own: the run's network (useTestRun) is not the contract's.
  labels: { ...RUN_LABEL, 'saas.test-suite': 'runtime-contract' },
  subnet: () => `10.250.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 16) * 16}/28`,
  hostPort: freePort,
  addressOf: async () => '127.0.0.1',
  notPublishedOn: async () => hostAddress(),
  differences: { limitsChange: 'in-place', restartedContainer: 'same' },
});
