import { expect } from 'vitest';
import { exec, STACK, type StackOnSwarm } from './stack-deploy.js';

/**
 * A rolling update of the stack's API (test/swarm/stack-deploy.swarm.test.ts): `docker service update --force`, the
 * new task started first, while /api/v1/ready is polled through the edge every 250 ms; not one poll may fail.
 */
export async function rollApiWhilePolling(stack: StackOnSwarm): Promise<void> {
  const { manager, theLab, timed, timings, viaEdge } = stack;
  // Polled through the edge all along: the edge must follow the API's task to its new address (api-upstream-watch.ts).
  const answers: number[] = [];
  let updating = true;
  const poll = (async () => {
    while (updating) {
      answers.push(
        await viaEdge('/api/v1/ready').then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const before = await manager().listTasks({ filters: { service: [`${STACK}_api`], 'desired-state': ['running'] } });
  try {
    await timed('API rolling update', () =>
      exec('docker', ['-H', `unix://${theLab().manager.socket}`, 'service', 'update', '--force', '--detach=false', `${STACK}_api`], {
        timeout: 150_000,
      }),
    );
    // Until the old task is gone from the edge's view: a few more seconds of polling.
    await new Promise((r) => setTimeout(r, 6_000));
  } finally {
    updating = false;
    await poll;
  }
  const after = await manager().listTasks({ filters: { service: [`${STACK}_api`], 'desired-state': ['running'] } });
  expect(after.map((t) => t.ID)).not.toEqual(before.map((t) => t.ID));
  timings['polls during the update (not 200)'] = `${answers.filter((a) => a !== 200).length} of ${answers.length}`;
  expect(answers.length).toBeGreaterThan(20);
  expect(answers.filter((a) => a !== 200)).toEqual([]);
}
