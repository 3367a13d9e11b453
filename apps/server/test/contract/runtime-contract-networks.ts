import { expect, it } from 'vitest';
import { RuntimeError } from '../../src/runtime/instance-runtime.js';
import type { ContractFixture } from './runtime-contract-fixture.js';

/**
 * The InstanceRuntime contract, the engine, its networks and one-off containers: the engine answers with its nodes and
 * the image; the contract's network is made here (the volumes' and containers' tests use it), a second one listed and
 * removed; a one-off container's exit code, output and timeout.
 */
export function engineNetworksAndOneOffs(f: ContractFixture): void {
  const { c, rt, net, oneOff } = f;

  async function ensureFreshNetwork(name: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const subnet = c.subnet();
      try {
        await rt().ensureNetwork({ name, subnet, labels: c.labels });
        return subnet;
      } catch (err) {
        if (attempt >= 20 || !(err instanceof RuntimeError) || !/overlap/i.test(err.message)) throw err;
      }
    }
  }

  it('answers, lists its nodes, and has the image (a missing one is a 404 without pull)', async () => {
    await rt().ping();
    const nodes = await rt().listNodes();
    expect(nodes.length).toBeGreaterThan(0);
    for (const node of nodes) {
      expect(node).toMatchObject({ state: 'ready', availability: 'active' });
      expect(node.capacity.memoryMb > 0 && node.capacity.cpuMillis >= 1000).toBe(true);
    }
    expect(await rt().ensureImage(c.image, { pull: false })).toBe('present');
    await expect(rt().ensureImage('saas-no-such-image:0', { pull: false })).rejects.toMatchObject({
      name: 'RuntimeError',
      details: { statusCode: 404 },
    });
  });

  it('networks: ensured once per name and subnet, listed by label, removed (twice)', async () => {
    const subnet = await ensureFreshNetwork(net);
    await rt().ensureNetwork({ name: net, subnet, labels: c.labels });
    const other = subnet === '10.250.255.240/28' ? '10.250.255.224/28' : '10.250.255.240/28';
    await expect(rt().ensureNetwork({ name: net, subnet: other, labels: c.labels })).rejects.toMatchObject({
      name: 'RuntimeError',
      details: { statusCode: 409 },
    });

    const second = c.name('ct-net-b');
    const secondSubnet = await ensureFreshNetwork(second);
    const listed = await rt().listNetworks(c.labels);
    expect(listed.filter((x) => x.name === net || x.name === second).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      [
        { name: net, subnet, labels: expect.objectContaining(c.labels) },
        { name: second, subnet: secondSubnet, labels: expect.objectContaining(c.labels) },
      ].sort((a, b) => a.name.localeCompare(b.name)),
    );
    await rt().removeNetwork(second);
    await rt().removeNetwork(second);
    expect((await rt().listNetworks(c.labels)).map((x) => x.name)).toEqual([net]);
  });

  it('runOneOff: returns the exit code and output; a timeout kills it and throws', async () => {
    const result = await oneOff('ct-once', "console.log('to stdout'); console.error('to stderr'); process.exit(7)");
    expect(result.exitCode).toBe(7);
    expect(result.output).toMatch(/to stdout/);
    expect(result.output).toMatch(/to stderr/);

    const started = Date.now();
    await expect(oneOff('ct-slow', "console.log('sleeping'); setTimeout(() => {}, 60000)", [], 1500)).rejects.toThrow(
      /did not finish within 1500 ms/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    // The name is free again: the killed container went with the run.
    expect(await oneOff('ct-slow', "console.log('again')")).toEqual({ exitCode: 0, output: 'again\n' });
  });
}
