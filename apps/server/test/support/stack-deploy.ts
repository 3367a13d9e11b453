import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { MailboxMessage } from '../../src/mail/dev-mailbox.routes.js';
import { until } from '../e2e/pages.js';
import { launchBrowser } from '../e2e/stack.js';
import { testConfig } from '../test-env.js';
import { freePort, request } from './nginx.js';
import { purgeTestResources, recreateTestDatabase } from './purge.js';
import { deployStack, writeStackFiles } from './stack-files.js';
import { type SwarmLab, startSwarmLab, stopSwarmLab } from './swarm-lab.js';
import { startTcpForwarder } from './tcp-forwarder.js';

/**
 * The stack of test/swarm/stack-deploy.swarm.test.ts, deployed once for the whole file: the images, a one-node lab,
 * forwarders to the host's PostgreSQL and Redis and to the edge, deploy/stack.yaml deployed by
 * scripts/deploy-stack.sh, and a browser; then everything removed. The file's steps (stack-deploy-*.ts) read it
 * through what `stackOnSwarm()` returns.
 */
export const exec = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'apps/server/package.json'), 'utf8')) as { version: string }).version;
export const STACK = 'saasstk';
export const PREFIX = 'saasstk';
const DB_NAME = 'saas_test_stack';
const STANDIN = 'odoo-standin:18.0';
const IMAGES = [`saas-platform:${VERSION}`, `saas-edge:${VERSION}`, STANDIN];

export type StackOnSwarm = ReturnType<typeof stackOnSwarm>;

/** The stack's fixture: `deploy()` in the file's beforeAll, `remove()` in its afterAll (also after a failed deploy). */
export function stackOnSwarm() {
  let lab: SwarmLab | undefined;
  let work: string | undefined;
  const forwarders: Array<Awaited<ReturnType<typeof startTcpForwarder>>> = [];
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let edgePort = 0;
  /** Printed after the run: how long the steps took and what the load saw. */
  const timings: Record<string, string> = {};

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

  /** The images, the lab, the forwarders, the stack deployed and the browser (the file's beforeAll). */
  async function deploy(): Promise<void> {
    for (const dist of ['apps/server/dist/cli.js', 'apps/web/dist/index.html', 'apps/admin/dist/index.html']) {
      if (!existsSync(join(REPO, dist))) throw new Error(`${dist} is missing: run \`npm run build\` at the repository root first.`);
    }
    // saas-edge with the two images it is built from; each reused when its inputs did not change.
    await timed('images', () => exec(join(REPO, 'scripts/build-images.sh'), ['--no-build', '--only', 'edge'], { timeout: 900_000 }));
    lab = await timed('lab with the images loaded', () => startSwarmLab({ nodes: 1, images: IMAGES }));

    const database = new URL(process.env.TEST_DATABASE_URL ?? '');
    const redis = new URL(process.env.TEST_REDIS_URL ?? '');
    const pgForwarder = await startTcpForwarder(
      { host: lab.hostAddress },
      { host: database.hostname, port: Number(database.port || 5432) },
    );
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
  }

  /** Everything deploy() made, as far as it got, and what the instances and the platform left (the file's afterAll). */
  async function remove(): Promise<void> {
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
  }

  return {
    deploy,
    remove,
    timings,
    timed,
    theLab,
    manager,
    viaEdge,
    mailLink,
    stackState,
    webUrl,
    platformDbUrl,
    instanceUrl,
    /** The edge's host port on the node, forwarded on 127.0.0.1 (PUBLIC_URL's port). */
    get edgePort() {
      return edgePort;
    },
    get browser() {
      return browser;
    },
  };
}
