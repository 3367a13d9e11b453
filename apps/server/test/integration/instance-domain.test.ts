import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, waitForStatus } from '../support/instances.js';
import { createPlatformEdge, type PlatformEdge, request } from '../support/nginx.js';

/**
 * INSTANCE_BASE_DOMAIN: instances are served under a domain of their own, not under the platform's host,
 * so a tenant's pages do not share the platform's site (docs/configuration.md). Real worker, real nginx.
 */

const INSTANCE_DOMAIN = 'odoo-customers.test';

let edge: PlatformEdge;
let h: Harness;
let owner: TestUser;

beforeAll(async () => {
  edge = await createPlatformEdge();
  h = await startHarness({
    env: { ...edge.env, INSTANCE_BASE_DOMAIN: INSTANCE_DOMAIN, PROVISION_FROM_TEMPLATE: 'false' },
    workerOptions: { maintenance: false },
  });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  owner = await createUser(h, { label: 'instance-domain' });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await edge?.stop();
});

describe('a separate instance domain', () => {
  it('serves an instance at <slug>.<instance domain> and not under the platform host', async () => {
    expect(h.platform.config).toMatchObject({ baseDomain: 'localhost', instanceDomain: INSTANCE_DOMAIN });
    const created = await createInstance(h, owner, { version: '18.0' });
    const instance = await waitForStatus(h, owner, created.id, ['running', 'failed']);
    expect(instance.status, instance.lastError ?? '').toBe('running');

    const host = `${instance.slug}.${INSTANCE_DOMAIN}`;
    expect(instance.url).toBe(`http://${host}:${edge.httpPort}`);
    const route = await readFile(join(edge.dir, 'instances', `${instance.id}.conf`), 'utf8');
    expect(route).toMatch(new RegExp(`server_name ${host.replaceAll('.', '\\.')};`));
    expect(route).not.toContain(`${instance.slug}.localhost`);

    const served = await request(edge.httpPort, `${host}:${edge.httpPort}`, '/web/login');
    expect(served.status).toBe(200);
    expect(served.body).toContain('stand-in');

    // Under the platform's host the name means nothing: the edge's unknown-host page.
    const underPlatform = await request(edge.httpPort, `${instance.slug}.localhost:${edge.httpPort}`, '/web/login');
    expect(underPlatform.status).toBe(404);
    expect(underPlatform.body).not.toContain('stand-in');

    const credentials = await call(h.app, 'POST', `/api/v1/instances/${instance.id}/credentials`, { client: owner });
    expect(credentials.statusCode, credentials.body).toBe(200);
    expect(credentials.json().url).toBe(`http://${host}:${edge.httpPort}`);
  }, 180_000);
});
