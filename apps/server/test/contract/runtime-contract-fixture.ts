import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { InstanceRuntime, OneOffResult, VolumeMount } from '../../src/runtime/instance-runtime.js';
import type { InstanceRuntimeContract } from './instance-runtime.contract.js';

/**
 * What the parts of the InstanceRuntime contract (instance-runtime.contract.ts) share: the run's names (one network,
 * one volume, one container, used in turn by the networks', the volumes' and the containers' tests), scratch
 * directories, one-off containers of the stand-in, and the cleanup of what a failed test left.
 */
export const NODE = '/usr/local/bin/node';
export const MiB = 2 ** 20;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ContractFixture {
  c: InstanceRuntimeContract;
  rt: () => InstanceRuntime;
  /** The contract's network (made by the networks' test), volume (the volumes' test) and container (the containers'). */
  net: string;
  data: string;
  app: string;
  /** A new temporary directory, removed after the file. */
  tempDir: () => Promise<string>;
  /** Runs `node -e script` in a one-off container of the stand-in image on the contract's network. */
  oneOff: (suffix: string, script: string, mounts?: VolumeMount[], timeoutMs?: number, args?: string[]) => Promise<OneOffResult>;
  /** The contract's volume at /v. */
  onData: VolumeMount[];
}

/** The shared fixture, inside the contract's `describe`: registers the cleanup of what a failed test left. */
export function useContractFixture(c: InstanceRuntimeContract): ContractFixture {
  const rt = () => c.runtime();
  const net = c.name('ct-net');
  const data = c.name('ct-data');
  const app = c.name('ct-app');
  const scratch: string[] = [];

  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runtime-contract-'));
    scratch.push(dir);
    return dir;
  };

  const oneOff = (suffix: string, script: string, mounts: VolumeMount[] = [], timeoutMs = 30_000, args: string[] = []) =>
    rt().runOneOff(
      {
        name: c.name(suffix),
        image: c.image,
        entrypoint: [NODE],
        command: ['-e', script, ...args],
        env: {},
        labels: c.labels,
        network: net,
        mounts,
        files: [],
        limits: { memoryMb: 128, cpuMillis: 500, pids: 64 },
        user: '101:101',
        extraHosts: [],
      },
      timeoutMs,
    );
  const onData: VolumeMount[] = [{ volume: data, target: '/v' }];

  afterAll(async () => {
    await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
    // What a failed test left; a passing run removed it all already. No runtime: the driver's setup failed.
    let runtime: InstanceRuntime;
    try {
      runtime = rt();
    } catch {
      return;
    }
    const quietly = (call: Promise<void>) => call.catch(() => undefined);
    await quietly(runtime.removeContainer(app));
    for (const volume of [data, c.name('ct-spare')]) await quietly(runtime.removeVolume(volume));
    for (const network of [net, c.name('ct-net-b')]) await quietly(runtime.removeNetwork(network));
  }, 60_000);

  return { c, rt, net, data, app, tempDir, oneOff, onData };
}
