import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instanceChannel } from '../../src/instances/instance-events.js';
import { type InstanceUpdate, instanceSchema } from '../../src/instances/instances.schemas.js';
import { call, createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance } from '../support/instances.js';

/**
 * The live view of an instance (`GET /instances/{id}/events`) is the REST view: every event's data is the
 * Instance that `GET /instances/{id}` returns, from the first step to "ready" and on to deletion.
 */

let h: Harness;
let owner: TestUser;
let address: string;

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false' }, workerOptions: { maintenance: false } });
  owner = await createUser(h, { label: 'live' });
  address = await h.app.listen({ port: 0, host: '127.0.0.1' });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/**
 * Reads the instance's event stream through the real HTTP server until the server ends it. The events are
 * typed as the document describes them but not parsed by the schema, so the checks below see what was sent.
 */
async function readStream(id: string, client: TestUser, timeoutMs = 120_000): Promise<InstanceUpdate[]> {
  const res = await fetch(`${address}/api/v1/instances/${id}/events`, {
    headers: { authorization: `Bearer ${client.token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events: InstanceUpdate[] = [];
  for (const block of (await res.text()).split('\n\n')) {
    const lines = block.split('\n').filter((l) => !l.startsWith(':'));
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
    if (event && data) events.push({ event: event as InstanceUpdate['event'], data: JSON.parse(data) });
  }
  return events;
}

const restView = async (id: string) => {
  const res = await call(h.app, 'GET', `/api/v1/instances/${id}`, { client: owner });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

describe('live instance updates (Server-Sent Events)', () => {
  it('sends the REST view of the instance in every event, with the admin password offered the moment it is ready', async () => {
    // Everything the worker puts on Redis for this instance, to check that no instance data travels there.
    const spy: Redis = h.platform.redis.duplicate();
    const notices: string[] = [];
    spy.on('message', (_channel: string, message: string) => notices.push(message));

    const created = await createInstance(h, owner, { version: '18.0' });
    await spy.subscribe(instanceChannel(created.id));
    const events = await readStream(created.id, owner);
    const afterwards = await restView(created.id);

    expect(events.length).toBeGreaterThan(1);
    for (const e of events) {
      expect(e.event).toBe('instance');
      // Exactly the Instance of the OpenAPI document: every field, nothing more.
      expect(Object.keys(e.data).sort()).toEqual(Object.keys(instanceSchema.shape).sort());
      expect(instanceSchema.strict().safeParse(e.data).error).toBeUndefined();
    }
    expect(events.map((e) => e.data.progress?.step)).toContain('Starting Odoo');

    // The last event (the stream ends once the instance is settled) is what a reload would show.
    const last = events.at(-1)?.data;
    expect(last?.status, JSON.stringify(last)).toBe('running');
    expect(last).toMatchObject({ credentialsAvailable: true, desiredState: 'running', lastError: null });
    expect(last?.readyAt).toEqual(expect.any(String));
    expect(last).toEqual(afterwards);
    // While it was being set up, the password was not offered yet.
    expect(events.filter((e) => e.data.status !== 'running').every((e) => e.data.credentialsAvailable === false)).toBe(true);

    await spy.quit();
    expect(notices.length).toBeGreaterThan(0);
    for (const notice of notices) expect(notice).toBe(created.id);

    // Following a settled instance: one event, the REST view, and the stream ends.
    expect((await readStream(created.id, owner)).map((e) => e.data)).toEqual([afterwards]);

    // Once revealed, the stream says so as the REST view does.
    const reveal = await call(h.app, 'POST', `/api/v1/instances/${created.id}/credentials`, { client: owner });
    expect(reveal.statusCode, reveal.body).toBe(200);
    const revealed = await restView(created.id);
    expect(revealed.credentialsAvailable).toBe(false);
    expect((await readStream(created.id, owner)).map((e) => e.data)).toEqual([revealed]);

    // Deletion is followed to its end: the last event is the deleted instance, and the stream ends.
    const deleting = await call(h.app, 'DELETE', `/api/v1/instances/${created.id}`, { client: owner });
    expect(deleting.statusCode, deleting.body).toBe(202);
    const deletion = await readStream(created.id, owner);
    expect(deletion.at(-1)?.data).toMatchObject({ id: created.id, status: 'deleted', progress: null, credentialsAvailable: false });
  }, 180_000);

  it('stops following when a client goes away, while other clients of the instance go on', async () => {
    const created = await createInstance(h, owner, { version: '18.0' });
    const channel = instanceChannel(created.id);
    const subscribers = async () => ((await h.platform.redis.pubsub('NUMSUB', channel)) as [string, number])[1];
    const leaving = new AbortController();
    const left = await fetch(`${address}/api/v1/instances/${created.id}/events`, {
      headers: { authorization: `Bearer ${owner.token}` },
      signal: leaving.signal,
    });
    expect(left.status).toBe(200);
    const staying = readStream(created.id, owner);
    leaving.abort();
    const events = await staying;
    expect(events.at(-1)?.data.status).toBe('running');
    expect(events.at(-1)?.data).toEqual(await restView(created.id));
    // Both streams are over: the API process no longer listens for this instance.
    const deadline = Date.now() + 5_000;
    while ((await subscribers()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await subscribers()).toBe(0);

    expect((await call(h.app, 'DELETE', `/api/v1/instances/${created.id}`, { client: owner })).statusCode).toBe(202);
    expect((await readStream(created.id, owner)).at(-1)?.data.status).toBe('deleted');
  }, 180_000);

  it('documents the stream in the OpenAPI document: text/event-stream of InstanceUpdate, whose data is the Instance', async () => {
    const doc = (await call(h.app, 'GET', '/api/openapi.json')).json();
    const stream = doc.paths['/api/v1/instances/{instanceId}/events'].get.responses['200'];
    expect(stream.content['text/event-stream'].schema).toEqual({ $ref: '#/components/schemas/InstanceUpdate' });
    const update = doc.components.schemas.InstanceUpdate;
    expect(update.properties.event).toMatchObject({ const: 'instance' });
    expect(update.properties.data).toEqual({ $ref: '#/components/schemas/Instance' });
    const rest = doc.paths['/api/v1/instances/{instanceId}'].get.responses['200'];
    expect(rest.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Instance' });
  });
});
