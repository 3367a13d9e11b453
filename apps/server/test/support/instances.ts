import { and, eq } from 'drizzle-orm';
import pg from 'pg';
import { expect } from 'vitest';
import { instanceNames, slotPorts } from '../../src/instances/instance-names.js';
import type { InstanceDto } from '../../src/instances/instances.schemas.js';
import { workflowRuns } from '../../src/instances/instances.tables.js';
import type { Harness, TestUser } from '../harness.js';
import { call } from '../harness.js';

/** The instance as the API returns it (the `Instance` schema). */
export type { InstanceDto };

let counter = 0;
export const uniqueSlug = (label = 'shop') => `${label}-${Date.now().toString(36)}-${++counter}-${process.pid % 1000}`;

export async function createInstance(h: Harness, owner: TestUser, body: Record<string, unknown> = {}) {
  const res = await call(h.app, 'POST', `/api/v1/tenants/${owner.tenantId}/instances`, {
    client: owner,
    body: { name: 'Test shop', slug: uniqueSlug(), ...body },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as InstanceDto;
}

/** Polls the API until the instance reaches one of the statuses (the API is the only source the tenant has). */
export async function waitForStatus(
  h: Harness,
  client: TestUser,
  id: string,
  statuses: InstanceDto['status'][],
  timeoutMs = 90_000,
): Promise<InstanceDto> {
  const deadline = Date.now() + timeoutMs;
  let last: InstanceDto | undefined;
  while (Date.now() < deadline) {
    const res = await call(h.app, 'GET', `/api/v1/instances/${id}`, { client });
    expect(res.statusCode, res.body).toBe(200);
    last = res.json() as InstanceDto;
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`instance ${id} did not reach ${statuses.join('/')} in time; last: ${JSON.stringify(last)}`);
}

export function odooPort(h: Harness, slot: number) {
  return slotPorts(h.platform.config.instancePortBase, slot).http;
}

/** JSON-RPC to the instance's Odoo (stand-in in tests) on its published loopback port. */
export async function odooRpc(port: number, service: string, method: string, args: unknown[]) {
  const res = await fetch(`http://127.0.0.1:${port}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service, method, args } }),
  });
  return (await res.json()) as { result?: unknown; error?: { message: string; data?: { name?: string; message?: string } } };
}

/** Everything an instance may leave behind, checked in the engine and the database server. */
export async function leftovers(h: Harness, instanceId: string) {
  const names = instanceNames(h.platform.config.resourcePrefix, instanceId);
  const found: string[] = [];
  const { runtime, tenantDb } = h.platform;
  if (await runtime.inspectContainer(names.container)) found.push(`container ${names.container}`);
  if (await runtime.inspectContainer(`${names.container}-init`)) found.push(`container ${names.container}-init`);
  if ((await runtime.listNetworks({ 'saas.instance.id': instanceId })).length) found.push(`network ${names.network}`);
  if (await runtime.volumeExists(names.volume)) found.push(`volume ${names.volume}`);
  if (await tenantDb.databaseExists(names.db)) found.push(`database ${names.db}`);
  if (await tenantDb.roleExists(names.role)) found.push(`role ${names.role}`);
  return found;
}

/** Tries to open a connection as a role to a database from the host. */
export async function canConnect(connectionString: string): Promise<string> {
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * An instance row that no worker will touch (for tests about the API alone): real in the database,
 * with nothing in the engine. Its status decides which operations the API allows.
 */
export async function insertInstanceRow(h: Harness, tenantId: string, status: 'failed' | 'stopped' | 'running' = 'failed') {
  const { randomUUID } = await import('node:crypto');
  const { encrypt, secretContext } = await import('../../src/auth/secrets.js');
  const { InstancesRepository } = await import('../../src/instances/instances.repo.js');
  const repo = new InstancesRepository(h.platform.db);
  const key = h.platform.config.encryptionKey;
  const slot = await repo.freeSlot(4096);
  const id = randomUUID();
  return repo.insert({
    id,
    tenantId,
    name: 'Fixture',
    slug: uniqueSlug('fixture'),
    version: '18.0',
    image: 'odoo-standin:18.0',
    status,
    desiredState: status === 'stopped' ? 'stopped' : 'running',
    limits: { memoryMb: 512, cpuMillis: 500, pids: 256, storageGb: 1, workers: 0 },
    slot: slot ?? 4000,
    dbPassword: encrypt(key, 'x', secretContext.instanceDbPassword(id)),
    masterPassword: encrypt(key, 'x', secretContext.instanceMasterPassword(id)),
  });
}

/** The instance's provisioning run as the worker records it. */
export async function provisionRun(h: Harness, instanceId: string) {
  const [run] = await h.platform.db
    .select()
    .from(workflowRuns)
    .where(and(eq(workflowRuns.subjectId, instanceId), eq(workflowRuns.kind, 'instance.provision')));
  return run;
}

/** Waits until the instance's provisioning is inside `step` (its current step). */
export async function waitForProvisionStep(h: Harness, instanceId: string, step: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await provisionRun(h, instanceId))?.currentStep === step) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`step ${step} never started for ${instanceId}`);
}

/** Deletes the instance through the API as its owner and waits until it is gone; returns the seconds it took. */
export async function deleteAndWait(h: Harness, owner: TestUser, instanceId: string, timeoutMs = 60_000): Promise<number> {
  const asked = Date.now();
  expect((await call(h.app, 'DELETE', `/api/v1/instances/${instanceId}`, { client: owner })).statusCode).toBe(202);
  while (Date.now() - asked < timeoutMs) {
    const res = await call(h.app, 'GET', `/api/v1/instances/${instanceId}`, { client: owner });
    if (res.statusCode === 404 || (res.json() as InstanceDto).status === 'deleted') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (Date.now() - asked) / 1000;
}
