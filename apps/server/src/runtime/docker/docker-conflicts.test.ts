import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { docker, IMAGE, n, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { type ContainerSpec, RuntimeError } from '../instance-runtime.js';

// Against the real engine: what another platform (prefix saasother) holds must be named in our errors.
useTestRun();

const OTHER = { ...RUN_LABEL, 'saas.managed': 'true', 'saas.platform': 'saasother' };

/** Another platform's network on a random /24 of 10.250.0.0/16 (moving on when a parallel run holds it). */
async function foreignNetwork(name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const subnet = `10.250.${Math.floor(Math.random() * 256)}.0/24`;
    try {
      await runtime.ensureNetwork({ name, subnet, labels: OTHER });
      return subnet;
    } catch (err) {
      if (attempt >= 20 || !(err instanceof RuntimeError) || !/overlap/i.test(err.message)) throw err;
    }
  }
}

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return { server, port: address.port };
}

const container = (suffix: string, hostPort: number, labels: Record<string, string>): ContainerSpec => ({
  name: n(suffix),
  image: IMAGE,
  entrypoint: ['node'],
  command: ['-e', 'require("http").createServer((q, s) => s.end("ok")).listen(8069)'],
  env: {},
  labels,
  network: n('net'),
  mounts: [],
  files: [],
  limits: { memoryMb: 128, cpuMillis: 500, pids: 64 },
  user: '101:101',
  publish: [{ containerPort: 8069, hostPort }],
  extraHosts: [],
  restart: 'no',
});

describe('engine name collisions', () => {
  it("names the other platform's network when a subnet overlaps it", async () => {
    const theirs = n('saasother-net');
    const pool = await foreignNetwork(theirs);
    const subnet = pool.replace(/\.0\/24$/, '.16/28');
    const ours = n('net-ours');
    const attempt = runtime.ensureNetwork({ name: ours, subnet, labels: RUN_LABEL });
    await expect(attempt).rejects.toBeInstanceOf(RuntimeError);
    await expect(attempt).rejects.toThrow(`network ${ours} ${subnet} overlaps network ${theirs} ${pool} owned by prefix saasother`);
    await expect(attempt).rejects.toMatchObject({ details: { statusCode: 409 } });
    expect((await runtime.listNetworks(RUN_LABEL)).map((x) => x.name)).not.toContain(ours);
    await runtime.removeNetwork(theirs);
  });

  it('names who holds a host port: a container of another platform, or a host process', async () => {
    // A port that is free now: taken by their container first.
    const { server: probe, port } = await listen();
    await new Promise((resolve) => probe.close(resolve));
    await runtime.ensureContainer(container('theirs', port, OTHER));
    const ours = container('ours', port, RUN_LABEL);
    await expect(runtime.ensureContainer(ours)).rejects.toThrow(
      `host port 127.0.0.1:${port} of ${ours.name} is already in use by container ${n('theirs')} (owned by prefix saasother)`,
    );
    // The failed container is not left behind.
    expect(await runtime.inspectContainer(ours.name)).toBeNull();
    await runtime.removeContainer(n('theirs'));

    const { server, port: held } = await listen();
    try {
      await expect(runtime.ensureContainer(container('ours-2', held, RUN_LABEL))).rejects.toThrow(
        `host port 127.0.0.1:${held} of ${n('ours-2')} is already in use by a process outside the engine`,
      );
    } finally {
      server.close();
    }
    expect((await docker.listContainers({ all: true, filters: { label: [`saas.test-run=${RUN_LABEL['saas.test-run']}`] } })).length).toBe(
      0,
    );
  });
});
