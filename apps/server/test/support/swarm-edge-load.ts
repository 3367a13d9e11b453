import { expect } from 'vitest';
import { routeFor } from '../../src/instances/instance-edge.js';
import type { TestUser } from '../harness.js';
import { createInstance, waitForStatus } from './instances.js';
import { request } from './nginx.js';
import { type LoadTarget, type RequestLoad, startRequestLoad, summarize, type TargetSummary } from './request-load.js';
import type { swarmPlatform } from './swarm-platform.js';

type SwarmPlatform = ReturnType<typeof swarmPlatform>;
type InstanceRow = Awaited<ReturnType<SwarmPlatform['harness']['platform']['instances']['get']>>;

/**
 * Requests through the swarm platform's edge while an instance moves (a drain, a node loss): to that instance
 * (`moving`, named `name`) and to a bystander created here, which lands on another node than `nodeId` (placement: the
 * most free memory). One load per instance, a request every 200 ms to Odoo's health route (the login page is
 * rate-limited per client and instance at the edge), so a request to an instance that does not answer waits out
 * its 5 s without holding up the other. Both answer before the load starts; `stop()` gives each one's summary.
 */
export async function edgeLoadWithBystander(
  swarm: SwarmPlatform,
  owner: TestUser,
  moving: InstanceRow,
  name: string,
  nodeId: string,
): Promise<{ start(): void; stop(): Promise<Record<string, TargetSummary>> }> {
  const { platform } = swarm.harness;
  const other = await createInstance(swarm.harness, owner, { version: '18.0' });
  expect((await waitForStatus(swarm.harness, owner, other.id, ['running', 'failed'], 120_000)).status).toBe('running');
  const bystander = await platform.instances.get(other.id);
  expect(bystander.nodeId, 'the bystander landed on the node of the instance that moves').not.toBe(nodeId);
  const target = async (targetName: string, row: InstanceRow): Promise<LoadTarget> => ({
    name: targetName,
    port: swarm.edge.httpPort,
    host: (await routeFor(platform, row)).hosts[0] ?? '',
    path: '/web/health',
    ok: (status) => status === 200,
  });
  const targets = [await target(name, moving), await target('bystander', bystander)];
  for (const t of targets) expect((await request(t.port, t.host, t.path)).status, `${t.name} before the load`).toBe(200);
  let runs: RequestLoad[] = [];
  return {
    start() {
      runs = targets.map((t) => startRequestLoad([t], { loops: 1, pauseMs: 200, maxRequests: 2000, maxMs: 240_000 }));
    },
    async stop() {
      return summarize((await Promise.all(runs.map((r) => r.stop()))).flat(), targets);
    },
  };
}
