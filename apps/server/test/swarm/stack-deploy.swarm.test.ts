import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LABELS } from '../../src/instances/instance-names.js';
import { QUEUE_NAMES, redisConnection } from '../../src/jobs/queues.js';
import type { MailboxMessage } from '../../src/mail/dev-mailbox.routes.js';
import { heading, reportPageOnFailure, signUp, until, visible } from '../e2e/pages.js';
import { type BrowserContext, launchBrowser } from '../e2e/stack.js';
import { uniqueEmail } from '../harness.js';
import { freePort, request } from '../support/nginx.js';
import { platformClient } from '../support/platform-client.js';
import { purgeTestResources, recreateTestDatabase } from '../support/purge.js';
import { holdMailDeliveries, killOneTask, passwordMails, runningTasks, startPasswordChanges } from '../support/replica-kill.js';
import { failed, type LoadTarget, startRequestLoad } from '../support/request-load.js';
import { deployStack, writeStackFiles } from '../support/stack-files.js';
import { type SwarmLab, startSwarmLab, stopSwarmLab } from '../support/swarm-lab.js';
import { startTcpForwarder } from '../support/tcp-forwarder.js';
import { testConfig } from '../test-env.js';

/**
 * The packaging: deploy/stack.yaml deployed by scripts/deploy-stack.sh (secrets, the migrations' one-shot job,
 * `docker stack deploy`) on a one-node swarm of the lab, from the images scripts/build-images.sh builds offline
 * (reused when their inputs did not change), then the browser's first run against it through its edge: sign up,
 * confirm the address from the mail, create an instance, watch it provision, open it at its subdomain.
 * Last, the API and the worker scaled to 2 replicas, and one task of each SIGKILLed under a request load through
 * the edge: no failed read, no lost job (docs/deploy.md#replicas-and-scaling).
 *
 * Instances run the Odoo stand-in (`odoo-standin:18.0`, a fast test fixture, not Odoo), as the other swarm tests do.
 * PostgreSQL and Redis are "external": the host's, reached from the lab through forwarders on the lab's host
 * address (the platform's role is admitted over loopback only). The browser reaches the edge's host-mode port on the
 * node through a forwarder on 127.0.0.1 (its namespace hands loopback traffic to the host's). Local mode
 * (NODE_ENV=development, http://localhost URLs, the dev mailbox): production's https and SMTP are not tested here.
 */
const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'apps/server/package.json'), 'utf8')) as { version: string }).version;
const STACK = 'saasstk';
const PREFIX = 'saasstk';
const DB_NAME = 'saas_test_stack';
const STANDIN = 'odoo-standin:18.0';
const IMAGES = [`saas-platform:${VERSION}`, `saas-edge:${VERSION}`, STANDIN];

let lab: SwarmLab | undefined;
let work: string | undefined;
const forwarders: Array<Awaited<ReturnType<typeof startTcpForwarder>>> = [];
let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let edgePort = 0;
const timings: Record<string, string> = {};
type ContainerTask = Extract<NonNullable<Docker.ServiceSpec['TaskTemplate']>, { ContainerSpec?: unknown }>;
/** A service's task template (a container's, not a plugin's). */
const taskOf = (spec: Docker.ServiceSpec | undefined) => spec?.TaskTemplate as ContainerTask | undefined;

const webUrl = () => `http://localhost:${edgePort}`;
const platformDbUrl = () => process.env.TEST_DATABASE_URL?.replace(/\/[^/?]*(\?|$)/, `/${DB_NAME}$1`) ?? '';
const instanceUrl = (slug: string) => `http://${slug}.localhost:${edgePort}`;

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings[label] = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  }
}

function theLab(): SwarmLab {
  if (!lab) throw new Error('the swarm lab did not come up');
  return lab;
}
const manager = (): Docker => theLab().manager.docker;

/** GET through the edge's forwarder on 127.0.0.1, as the browser's requests go. */
const viaEdge = (path: string, host = `localhost:${edgePort}`) => request(edgePort, host, path, { timeoutMs: 5_000 });

/** The first link of the newest mail to `to` whose subject has `subject`, read from the dev mailbox through the edge. */
async function mailLink(to: string, subject: string): Promise<string> {
  const mail = await until(
    async () => {
      const res = await viaEdge(`/api/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
      expect(res.status).toBe(200);
      return (JSON.parse(res.body) as MailboxMessage[]).find((m) => m.subject.includes(subject));
    },
    (m) => m !== undefined,
    `a mail "${subject}" to ${to}`,
    30_000,
  );
  const link = mail?.links[0];
  if (!link) throw new Error(`mail "${subject}" to ${to} has no link`);
  return link;
}

/** The services' tasks and the containers' health, for a failure's message. */
async function stackState(): Promise<string> {
  if (!lab) return '';
  const tasks = await manager().listTasks({ filters: { label: [`com.docker.stack.namespace=${STACK}`] } });
  const lines = tasks.map((t) => `${t.ServiceID.slice(0, 8)} ${t.Status?.State} ${t.Status?.Err ?? ''}`);
  const containers = await manager().listContainers({ all: true });
  return [...lines, ...containers.map((c) => `${c.Names[0]} ${c.Status}`)].join('\n');
}

beforeAll(async () => {
  for (const dist of ['apps/server/dist/cli.js', 'apps/web/dist/index.html', 'apps/admin/dist/index.html']) {
    if (!existsSync(join(REPO, dist))) throw new Error(`${dist} is missing: run \`npm run build\` at the repository root first.`);
  }
  // saas-edge with the two images it is built from; each reused when its inputs did not change.
  await timed('images', () => exec(join(REPO, 'scripts/build-images.sh'), ['--no-build', '--only', 'edge'], { timeout: 900_000 }));
  lab = await timed('lab with the images loaded', () => startSwarmLab({ nodes: 1, images: IMAGES }));

  const database = new URL(process.env.TEST_DATABASE_URL ?? '');
  const redis = new URL(process.env.TEST_REDIS_URL ?? '');
  const pgForwarder = await startTcpForwarder({ host: lab.hostAddress }, { host: database.hostname, port: Number(database.port || 5432) });
  const redisForwarder = await startTcpForwarder({ host: lab.hostAddress }, { host: redis.hostname, port: Number(redis.port || 6379) });
  forwarders.push(pgForwarder, redisForwarder);
  await recreateTestDatabase(DB_NAME);
  database.host = `${lab.hostAddress}:${pgForwarder.port}`;
  database.pathname = `/${DB_NAME}`;
  redis.host = `${lab.hostAddress}:${redisForwarder.port}`;

  // The edge's host port on the node, and the same port on 127.0.0.1 for the browser (PUBLIC_URL's port).
  edgePort = await freePort();
  const node = lab.manager;
  forwarders.push(await startTcpForwarder({ host: '127.0.0.1', port: edgePort }, { host: node.address, port: edgePort }));

  const env = {
    STACK_NAME: STACK,
    SAAS_VERSION: VERSION,
    NODE_ENV: 'development',
    PUBLIC_URL: webUrl(),
    ADMIN_URL: `http://admin.localhost:${edgePort}`,
    DEV_MAILBOX: 'true',
    RESOURCE_PREFIX: PREFIX,
    INSTANCE_SUBNET_POOL: '10.216.0.0/20',
    INSTANCE_PORT_BASE: '29000',
    TENANT_DB_HOST: lab.hostAddress,
    TENANT_DB_PORT: String(pgForwarder.port),
    ODOO_VERSIONS: `18.0=${STANDIN}`,
    PROVISION_FROM_TEMPLATE: 'false',
    IMAGE_PULL: 'false',
    SWARM_NODE_ENGINES: `${node.name}=unix:///var/run/docker.sock`,
    // The lab node's engine socket (on a real node: /var/run/docker.sock) and its group.
    DOCKER_SOCKET_PATH: node.socket,
    DOCKER_GID: String(statSync(node.socket).gid),
    EDGE_HTTP_PORT: String(edgePort),
    EDGE_HTTPS_PORT: String(await freePort()),
    API_REPLICAS: '1',
    WORKER_REPLICAS: '1',
    EDGE_REPLICAS: '1',
  };
  // What an operator writes: the env file and the secrets directory (the script generates the keys).
  const secrets = { database_url: String(database), redis_url: String(redis), smtp_url: '' }; // no SMTP: the mailbox
  const files = await writeStackFiles(env, secrets);
  work = files.work;
  await exec('docker', ['-H', `unix://${node.socket}`, 'node', 'update', '--label-add', 'saas.edge=true', node.name]);
  await timed('deploy-stack.sh', () => deployStack(node.socket, ['--env-file', files.envFile, '--secrets-dir', files.secretsDir]));
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  if (lab) await deployStack(lab.manager.socket, ['--remove', '--stack', STACK]).catch(() => undefined);
  for (const forwarder of forwarders) await forwarder.close();
  await (lab ? lab.stop() : stopSwarmLab());
  if (work) await rm(work, { recursive: true, force: true });
  // What the instances left on the host's PostgreSQL (their databases and roles), the platform's database and keys.
  await purgeTestResources(testConfig({ RESOURCE_PREFIX: PREFIX, INSTANCE_SUBNET_POOL: '10.216.0.0/20', INSTANCE_PORT_BASE: '29000' }));
  await recreateTestDatabase(DB_NAME, { drop: true });
  const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { maxRetriesPerRequest: 2 });
  try {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
  console.info(`stack-deploy timings: ${JSON.stringify(timings)}`);
}, 180_000);

describe('the platform deployed as a stack on a one-node swarm', () => {
  it('runs the API, worker and edge as the stack file says: secrets, limits, non-root, read-only, start-first', async () => {
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
  }, 180_000);

  it('answers ready through the edge, with both SPAs', async () => {
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
  }, 150_000);

  it('rolls the API over start-first while the edge keeps reaching it', async () => {
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
  }, 180_000);

  describe('the first run in a browser', () => {
    const id = Math.random().toString(36).slice(2, 8);
    const owner = { name: 'Ada Owner', email: uniqueEmail('stack-owner'), organization: `Ada Stack ${id}` };
    const slug = `stack-${id}`;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      if (!browser) throw new Error('the browser did not start');
      context = await browser.newContext();
      page = await context.newPage();
    });
    beforeEach(() => reportPageOnFailure(() => page));
    afterAll(async () => {
      await context?.close();
    });

    it('signs up and confirms the address from the mail', async () => {
      await signUp(page, webUrl(), owner);
      const verifyLink = await mailLink(owner.email, 'Confirm');
      expect(verifyLink.startsWith(`${webUrl()}/verify-email?token=`)).toBe(true);
      await page.goto(verifyLink);
      await visible(page.getByText('Email verified'));
    }, 90_000);

    it('creates an instance and watches it provision on the swarm', async () => {
      await page.goto(webUrl());
      await page.getByRole('link', { name: 'Create your first Odoo' }).click();
      await visible(heading(page, 'Create your first Odoo'));
      await page.getByRole('textbox', { name: 'Name' }).fill('Ada Stack');
      await page.getByRole('textbox', { name: 'Subdomain' }).fill(slug);
      await visible(page.locator('#slug-state').getByText(`“${slug}” is available.`));
      await page.getByRole('button', { name: 'Create instance' }).click();
      await until(
        async () => new URL(page.url()).pathname,
        (p) => /^\/instances\/[0-9a-f-]+\/setup$/.test(p),
        'the setup page opens',
      );
      await timed('provisioning in the browser', async () => {
        const ready = page.getByRole('heading', { name: 'Your Odoo is ready' });
        const failed = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
        await Promise.race([
          visible(ready, 150_000),
          failed.waitFor({ state: 'visible', timeout: 150_000 }).then(async () => {
            throw new Error(`provisioning failed: ${await failed.textContent()}`);
          }),
        ]);
      });
      await visible(page.getByRole('link', { name: instanceUrl(slug) }));
      // A swarm service of the instance runs on the node.
      const services = await manager().listServices({ filters: { label: [`${LABELS.platform}=${PREFIX}`] } });
      expect(services.length).toBeGreaterThan(0);
    }, 180_000);

    it('serves the instance at its subdomain through the edge', async () => {
      const odoo = await context.newPage();
      const served = await odoo.goto(`${instanceUrl(slug)}/web/login`);
      expect(served?.status()).toBe(200);
      await visible(odoo.getByText('Odoo stand-in (test fixture)'));
      await odoo.close();
    }, 60_000);
  });

  describe('two replicas of the API and the worker, one of each killed under load', () => {
    const services = [`${STACK}_api`, `${STACK}_worker`];
    const twoEach = async () => (await Promise.all(services.map((s) => runningTasks(manager(), s)))).map((t) => t.length);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('scales the API and the worker to 2 replicas', async () => {
      const scale = ['service', 'scale', '--detach', ...services.map((s) => `${s}=2`)];
      await exec('docker', ['-H', `unix://${theLab().manager.socket}`, ...scale], { timeout: 60_000 });
      // A task is running once its healthcheck passed; the edge's watch then adds it within 2 s.
      await timed('scale to 2', () => until(twoEach, (n) => n.every((c) => c === 2), 'two running tasks of each', 120_000));
      await sleep(5_000);
    }, 180_000);

    it('loses no job and fails no read while one API task and one worker task are SIGKILLed', async () => {
      const owner = await platformClient(webUrl()).owner('replicas');
      const edge = { port: edgePort, host: `localhost:${edgePort}` };
      const auth = { authorization: `Bearer ${owner.token}` };
      const reads: LoadTarget[] = ['/api/v1/me', `/api/v1/tenants/${owner.tenantId}/instances`].map((path) => ({
        ...{ name: path, port: edgePort, host: edge.host, path, headers: auth },
        ok: (s) => s === 200,
      }));
      // At most 10 reads and 5 writes a second: under the edge's limit of 20 a second per address.
      const load = startRequestLoad(reads, { loops: 2, pauseMs: 200, maxRequests: 5_000, maxMs: 120_000 });
      const writes = startPasswordChanges(edge, owner.token, 200);
      const mailQueue = new Queue(QUEUE_NAMES.mail, { connection: redisConnection(process.env.TEST_REDIS_URL ?? ''), prefix: PREFIX });
      let activeAtKill = 0;
      let workerKilledAt = 0;
      let reqs: Awaited<ReturnType<typeof load.stop>> = [];
      let posts: Awaited<ReturnType<typeof writes.stop>> = [];
      try {
        await sleep(5_000);
        await killOneTask(manager(), `${STACK}_api`);
        await sleep(15_000);
        // The worker's task is killed while it holds deliveries: more in progress than one worker's concurrency (4).
        const hold = await holdMailDeliveries(platformDbUrl());
        try {
          activeAtKill = await until(
            () => mailQueue.getActiveCount(),
            (n) => n > 4,
            'jobs on both workers',
            15_000,
          );
          workerKilledAt = Date.now();
          await killOneTask(manager(), `${STACK}_worker`);
          await sleep(1_000);
        } finally {
          await hold.release();
        }
        // Its jobs are taken back once their locks expire (15 s), while the load goes on.
        await sleep(25_000);
      } finally {
        reqs = await load.stop();
        posts = await writes.stop();
      }
      const failedReads = reqs.filter((r) => failed(r, reads));
      const changes = posts.filter((p) => !p.probe);
      const lost = changes.filter((p) => p.status === 0 || p.status >= 500);
      const applied = posts.filter((p) => p.status === 204).length;
      timings['replicas: reads failed'] = `${failedReads.length} of ${reqs.length}`;
      timings['replicas: writes without an answer'] = `${lost.length} of ${changes.length}`;
      timings['replicas: slowest read'] = `${Math.max(...reqs.map((r) => r.doneAt - r.sentAt))} ms`;

      // Every write's mail delivered, by the platform's own record of each job: the outbox has none left pending.
      try {
        const outbox = () => passwordMails(platformDbUrl(), owner.email);
        const mails = await timed('replicas: last mail delivered, after the load', () =>
          until(outbox, (m) => m.pending === 0, 'no password mail pending', 90_000),
        );
        expect(mails.failed).toBe(0);
        // One mail per applied change; a change whose answer was lost may have been applied too.
        expect(mails.sent).toBeGreaterThanOrEqual(applied);
        expect(mails.sent).toBeLessThanOrEqual(applied + lost.length);
        expect(mails.inMailbox).toBeGreaterThanOrEqual(mails.sent);
        // The killed worker's jobs went back to the queue and were completed by another worker.
        const takenBack = (await mailQueue.getJobs(['completed'])).filter((j) => j.stalledCounter > 0);
        const last = Math.max(...takenBack.map((j) => j.finishedOn ?? 0));
        timings['replicas: mail jobs taken back'] = `${takenBack.length} of ${activeAtKill} in progress at the kill`;
        timings["replicas: killed worker's jobs done after the kill"] = `${((last - workerKilledAt) / 1000).toFixed(1)} s`;
        expect(takenBack.length).toBeGreaterThan(0);
        // Lock 15 s, stalled check every 5 s: back within about 20 s.
        expect(last - workerKilledAt).toBeLessThan(30_000);
        expect(await mailQueue.getFailedCount()).toBe(0);
      } finally {
        await mailQueue.close();
      }
      // Swarm replaced both killed tasks.
      await until(twoEach, (n) => n.every((c) => c === 2), 'two running tasks of each again', 90_000);
      expect(changes.length).toBeGreaterThan(50);
      expect(reqs.length).toBeGreaterThan(200);
      expect(failedReads.map((r) => `${r.target} ${r.status} ${r.error ?? ''}`)).toEqual([]);
      // A POST in flight on the killed task is lost with it (nginx does not resend a write): one writer, at most one.
      expect(lost.length).toBeLessThanOrEqual(1);
      expect(changes.filter((p) => p.status !== 204 && !lost.includes(p)).map((p) => `${p.status} ${p.error}`)).toEqual([]);
    }, 300_000);
  });
});
