import { describe, expect, it } from 'vitest';
import { createNetwork, docker, n, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { RuntimeError } from '../instance-runtime.js';

// Against the real engine (test/support/docker-runtime.ts).
useTestRun();

describe('networks', () => {
  it('creates once, refuses another subnet under the same name, removes twice', async () => {
    const name = n('net-a');
    const subnet = await createNetwork(name);
    await runtime.ensureNetwork({ name, subnet, labels: RUN_LABEL });
    const raw = await docker.getNetwork(name).inspect();
    expect(raw.Driver).toBe('bridge');
    expect(raw.Internal).toBe(false);
    expect(raw.Labels).toMatchObject({ 'saas.managed': 'true', ...RUN_LABEL });

    const listed = await runtime.listNetworks(RUN_LABEL);
    expect(listed).toContainEqual({ name, subnet, labels: expect.objectContaining(RUN_LABEL) });

    const other = subnet === '10.250.255.240/28' ? '10.250.255.224/28' : '10.250.255.240/28';
    await expect(runtime.ensureNetwork({ name, subnet: other, labels: RUN_LABEL })).rejects.toThrow(/exists with subnet/);

    // Another name on the same subnet: the engine's own reason comes through.
    const clash = runtime.ensureNetwork({ name: n('net-b'), subnet, labels: RUN_LABEL });
    await expect(clash).rejects.toBeInstanceOf(RuntimeError);
    await expect(clash).rejects.toThrow(/overlap/i);

    await runtime.removeNetwork(name);
    await runtime.removeNetwork(name);
    expect((await runtime.listNetworks(RUN_LABEL)).map((x) => x.name)).not.toContain(name);
  });
});
