import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { type ContainerSpec, RuntimeError } from '../../src/runtime/instance-runtime.js';

/**
 * For the Docker driver's tests (src/runtime/docker/*.test.ts). They run against the real engine with the Odoo
 * stand-in image that the global setup builds: Node-based, no shell or coreutils, uid 101, the official image's
 * entrypoint, paths and VOLUMEs. Each test file gets its own run id (modules are loaded per file): everything it
 * creates carries the run's label, and `useTestRun` removes it when the file ends.
 */
export const IMAGE = 'odoo-standin:18.0';
export const RUN = `saas-test-${randomBytes(4).toString('hex')}`;
export const RUN_LABEL = { 'saas.test-run': RUN };
export const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

export const runtime = new DockerRuntime();
export const docker = runtime.docker;

/** A name of this run's. */
export const n = (suffix: string) => `${RUN}-${suffix}`;

async function imageExists(name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

const randomSubnet = () => `10.250.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 16) * 16}/28`;

/** Creates a network on a random /28 of 10.250.0.0/16, moving on when another run holds that one. */
export async function createNetwork(name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const subnet = randomSubnet();
    try {
      await runtime.ensureNetwork({ name, subnet, labels: RUN_LABEL });
      return subnet;
    } catch (err) {
      if (attempt >= 20 || !(err instanceof RuntimeError) || !/overlap/i.test(err.message)) throw err;
    }
  }
}

/** Runs `node -e script` in a one-off container of the stand-in image, on the run's network. */
export function oneOff(suffix: string, script: string, mounts: ContainerSpec['mounts'] = [], timeoutMs = 20_000) {
  return runtime.runOneOff(
    {
      name: n(suffix),
      image: IMAGE,
      entrypoint: ['node'],
      command: ['-e', script],
      env: { PASSWORD },
      labels: RUN_LABEL,
      network: n('net'),
      mounts,
      files: [],
      limits: { memoryMb: 128, cpuMillis: 500, pids: 64 },
      user: '101:101',
      extraHosts: [],
    },
    timeoutMs,
  );
}

async function cleanup(): Promise<void> {
  const filters = { label: [`saas.test-run=${RUN}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((net) =>
      docker
        .getNetwork(net.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  const { Volumes: volumes } = await docker.listVolumes({ filters });
  await Promise.all(
    (volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
}

/** Before the file's tests: checks the image and creates the run's network (`n('net')`). After them: removes what the run made. */
export function useTestRun(): void {
  beforeAll(async () => {
    if (!(await imageExists(IMAGE))) throw new Error(`${IMAGE} is missing: the global setup builds it (test/fixtures/odoo-standin)`);
    await createNetwork(n('net'));
  });
  afterAll(cleanup, 60_000);
}
