import { describe, expect, it } from 'vitest';
import { createNetwork, docker, n, RUN_LABEL, runtime, useTestRun } from '../../../test/support/docker-runtime.js';
import { RuntimeError } from '../instance-runtime.js';

// Against the real engine (test/support/docker-runtime.ts). Ensure, list and remove are the contract's
// (docker-runtime.contract.test.ts); here what the engine makes of them.
useTestRun();

describe('networks', () => {
  it("creates a labelled bridge, and passes the engine's reason for a subnet another network holds", async () => {
    const name = n('net-a');
    const subnet = await createNetwork(name);
    const raw = await docker.getNetwork(name).inspect();
    expect(raw.Driver).toBe('bridge');
    expect(raw.Internal).toBe(false);
    expect(raw.Labels).toMatchObject({ 'saas.managed': 'true', ...RUN_LABEL });

    // Another name on the same subnet: the engine's own reason comes through.
    const clash = runtime.ensureNetwork({ name: n('net-b'), subnet, labels: RUN_LABEL });
    await expect(clash).rejects.toBeInstanceOf(RuntimeError);
    await expect(clash).rejects.toThrow(/overlap/i);
    await runtime.removeNetwork(name);
  });
});
