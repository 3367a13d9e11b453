import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type EdgeRouter, EdgeSyncError } from '../../src/edge/edge-router.js';
import { EdgeConfigError, type NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { applyInstanceRoute, syncInstanceRoutes } from '../../src/instances/instance-edge.js';
import { InstancesRepository } from '../../src/instances/instances.repo.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, insertInstanceRow, waitForStatus } from '../support/instances.js';
import { createPlatformEdge, type PlatformEdge, request } from '../support/nginx.js';

/** The platform with its real edge: instances provisioned by the worker are served by a private nginx. */

let edge: PlatformEdge;
let h: Harness;
let owner: TestUser;

beforeAll(async () => {
  edge = await createPlatformEdge();
  h = await startHarness({ env: { ...edge.env, PROVISION_FROM_TEMPLATE: 'false' }, workerOptions: { maintenance: false } });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  owner = await createUser(h, { label: 'edge' });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await edge?.stop();
});

const get = (host: string, path: string) => request(edge.httpPort, host, path);

/** Opens a websocket on /websocket through the edge; resolves with the status of the upgrade answer. */
function upgrade(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${edge.httpPort}/websocket?version=18`, { headers: { host } });
    socket.on('upgrade', (res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', reject);
  });
}

async function waitGone(id: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await new InstancesRepository(h.platform.db).findById(id))?.status === 'deleted') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`instance ${id} was not deleted in time`);
}

describe('instances through the real edge', () => {
  it('serves a provisioned instance at its subdomain, follows stop and start, restores routes at start-up and forgets it when deleted', async () => {
    const created = await createInstance(h, owner, { version: '18.0' });
    const instance = await waitForStatus(h, owner, created.id, ['running', 'failed']);
    expect(instance.status, instance.lastError ?? '').toBe('running');
    const host = `${instance.slug}.localhost:${edge.httpPort}`;

    const login = await get(host, '/web/login');
    expect(login.status).toBe(200);
    expect(login.body).toContain('stand-in');

    // Odoo's database manager never reaches the container.
    const manager = await get(host, '/web/database/manager');
    expect(manager.status).toBe(404);
    expect(manager.body).not.toContain('stand-in');

    // The starter plan runs Odoo with workers: the bus is on the gevent port (8072), which answers the upgrade.
    expect(await upgrade(host)).toBe(101);

    // Stopped: the platform's page, 503 with Retry-After.
    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/stop`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['stopped']);
    const stopped = await get(host, '/web/login');
    expect(stopped.status).toBe(503);
    expect(stopped.headers['retry-after']).toBe('60');
    expect(stopped.body).toContain('stopped');

    expect((await call(h.app, 'POST', `/api/v1/instances/${instance.id}/start`, { client: owner })).statusCode).toBe(202);
    await waitForStatus(h, owner, instance.id, ['running']);
    const again = await get(host, '/web/login');
    expect(again.status).toBe(200);
    expect(again.body).toContain('stand-in');

    // A route file lost behind the platform's back comes back with the start-up sync.
    const file = join(edge.dir, 'instances', `${instance.id}.conf`);
    await rm(file);
    expect(existsSync(file)).toBe(false);
    const synced = await syncInstanceRoutes(h.platform);
    expect(synced.failed).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect((await get(host, '/web/login')).status).toBe(200);

    // Deleted: the platform's unknown-host page.
    expect((await call(h.app, 'DELETE', `/api/v1/instances/${instance.id}`, { client: owner })).statusCode).toBe(202);
    await waitGone(instance.id);
    const gone = await get(host, '/web/login');
    expect(gone.status).toBe(404);
    expect(gone.body).toContain('No site here');
    expect(existsSync(file)).toBe(false);
  }, 180_000);

  it('records a route the edge refuses on the instance, with the edge’s own output', async () => {
    const row = await insertInstanceRow(h, owner.tenantId, 'stopped');
    const refusing: EdgeRouter = {
      applyRoute: async () => {
        throw new EdgeConfigError(
          'nginx refused the new config',
          'nginx: [emerg] unknown directive "bogus" in (candidate) instances/x.conf:3',
        );
      },
      removeRoute: async () => undefined,
      publishChallenge: async () => undefined,
      withdrawChallenge: async () => undefined,
      syncAll: async () => {
        throw new EdgeSyncError([{ instanceId: row.id, error: new EdgeConfigError('nginx refused the route', '[emerg] at sync') }]);
      },
    };
    const deps = { config: h.platform.config, database: h.platform.database, edge: refusing, log: h.platform.log };
    const refused = await applyInstanceRoute(deps, row);
    expect(refused).toBeInstanceOf(EdgeConfigError);
    const after = await new InstancesRepository(h.platform.db).findById(row.id);
    expect(after?.lastError).toContain('unknown directive "bogus"');

    const synced = await syncInstanceRoutes(deps);
    expect(synced.failed).toBe(1);
    expect((await new InstancesRepository(h.platform.db).findById(row.id))?.lastError).toContain('[emerg] at sync');
    await new InstancesRepository(h.platform.db).update(row.id, { status: 'deleted' });
  });
});
