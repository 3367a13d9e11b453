import type Docker from 'dockerode';
import pg from 'pg';
import { expect } from 'vitest';
import { until } from '../e2e/pages.js';
import { STACK, type StackOnSwarm } from './stack-deploy.js';

/**
 * The stack as deployed (test/swarm/stack-deploy.swarm.test.ts): its services hardened as deploy/stack.yaml says, the
 * migrations run by their one-shot job, and the API ready through the edge with both SPAs.
 */
type ContainerTask = Extract<NonNullable<Docker.ServiceSpec['TaskTemplate']>, { ContainerSpec?: unknown }>;
/** A service's task template (a container's, not a plugin's). */
const taskOf = (spec: Docker.ServiceSpec | undefined) => spec?.TaskTemplate as ContainerTask | undefined;

/** Secrets, limits, non-root, read-only, start-first: the services' specs, their healthy tasks and the migrations. */
export async function expectHardenedServices(stack: StackOnSwarm): Promise<void> {
  const { manager, stackState, platformDbUrl } = stack;
  const services = await manager().listServices({ filters: { label: [`com.docker.stack.namespace=${STACK}`] } });
  const byName = new Map(services.map((s) => [s.Spec?.Name?.replace(`${STACK}_`, ''), s.Spec]));
  expect([...byName.keys()].sort()).toEqual(['api', 'edge', 'worker']);
  for (const name of ['api', 'worker', 'edge']) {
    const spec = byName.get(name);
    const container = taskOf(spec)?.ContainerSpec;
    expect(container?.ReadOnly, name).toBe(true);
    // The engine's field is `Healthcheck` (dockerode's type spells it HealthCheck).
    const healthcheck = (container as { Healthcheck?: { Test?: string[] } } | undefined)?.Healthcheck;
    expect(healthcheck?.Test?.[0], name).toBe('CMD');
    expect(container?.CapabilityDrop, name).toEqual(['ALL']);
    expect(spec?.TaskTemplate?.Resources?.Limits?.MemoryBytes, name).toBeGreaterThan(0);
    expect(spec?.TaskTemplate?.RestartPolicy?.Condition, name).toBe('any');
    expect(spec?.EndpointSpec?.Mode, name).toBe('dnsrr');
    expect(
      container?.Secrets?.map((s) => s.SecretName),
      name,
    ).toContain(`${STACK}_database_url`);
    // Secrets arrive as files, never in the environment.
    expect(
      container?.Env?.find((e) => e.startsWith('DATABASE_URL=')),
      name,
    ).toBeUndefined();
  }
  expect(byName.get('api')?.UpdateConfig?.Order).toBe('start-first');
  expect(byName.get('worker')?.UpdateConfig?.Order).toBe('start-first');
  // The edge holds fixed host ports on its node: the old task must free them first.
  expect(byName.get('edge')?.UpdateConfig?.Order).toBe('stop-first');
  expect(
    taskOf(byName.get('edge'))
      ?.ContainerSpec?.Secrets?.map((s) => s.SecretName)
      .sort(),
  ).toEqual(['database_url', 'encryption_key', 'jwt_secret', 'redis_url'].map((n) => `${STACK}_${n}`));

  // Every task running, its container healthy, its process uid 10001 with no capabilities.
  await until(
    async () => {
      const containers = await manager().listContainers({ filters: { label: [`com.docker.stack.namespace=${STACK}`] } });
      return containers.filter((c) => c.Status.includes('(healthy)')).length;
    },
    (healthy) => healthy === 3,
    'the three containers healthy',
    120_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await stackState()}`);
  });
  for (const c of await manager().listContainers({ filters: { label: [`com.docker.stack.namespace=${STACK}`] } })) {
    const top = await manager().getContainer(c.Id).inspect();
    expect(top.Config.User.split(':')[0], c.Names[0]).toBe('10001');
    expect(top.HostConfig.ReadonlyRootfs, c.Names[0]).toBe(true);
  }

  // The migrations ran as their one-shot job before the services (the job is gone once it completed).
  expect(services.find((s) => s.Spec?.Name === `${STACK}_migrate`)).toBeUndefined();
  const client = new pg.Client({ connectionString: platformDbUrl() });
  await client.connect();
  try {
    const applied = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(applied.rows[0].n).toBeGreaterThan(0);
  } finally {
    await client.end();
  }
}

/** The API ready through the edge, the web app's and the admin's pages served. */
export async function expectReadyThroughEdge(stack: StackOnSwarm): Promise<void> {
  const { timed, viaEdge, edgePort } = stack;
  const ready = await timed('ready through the edge', () =>
    until(
      () => viaEdge('/api/v1/ready').catch(() => ({ status: 0, body: '' })),
      (r) => r.status === 200,
      'the API ready through the edge',
      120_000,
    ),
  );
  expect(ready.body).toContain('ready');
  expect((await viaEdge('/')).body).toContain('<div id="root">');
  expect((await viaEdge('/', `admin.localhost:${edgePort}`)).status).toBe(200);
}
