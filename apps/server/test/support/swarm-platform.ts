import { createDatabase } from '../../src/db/client.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { prepareDatabase } from '../../src/platform.js';
import { type Harness, startHarness } from '../harness.js';
import { testConfig } from '../test-env.js';
import { createPlatformEdge, type PlatformEdge } from './nginx.js';
import { recreateTestDatabase } from './purge.js';
import { type SwarmLab, startSwarmLab, stopSwarmLab } from './swarm-lab.js';
import { startTcpForwarder } from './tcp-forwarder.js';

type Forwarder = Awaited<ReturnType<typeof startTcpForwarder>>;

export interface SwarmPlatformOptions {
  /** The platform's database of this file (made fresh, dropped at the end). */
  dbName: string;
  /** The instance image loaded on every node, offered as Odoo 18.0. */
  image: string;
  /** More images loaded on every node. */
  images?: string[];
  /** Also run the platform's edge (nginx), routing to the instances on their nodes. */
  edge?: boolean;
  /** More of the platform's environment. */
  env?: Record<string, string>;
}

/**
 * The platform with INSTANCE_RUNTIME=swarm on the lab (three nodes): the API and a worker in this process drive the
 * swarm through the manager's and the nodes' sockets, as the configuration names them; the nodes reach the tenants'
 * PostgreSQL through a forwarder on the host's lab address. `stop()` takes down whatever `start()` brought up, even
 * when it failed half-way.
 */
export function swarmPlatform(options: SwarmPlatformOptions) {
  let lab: SwarmLab | undefined;
  let forwarder: Forwarder | undefined;
  let edge: PlatformEdge | undefined;
  let harness: Harness | undefined;
  const recreateDatabase = (drop = false) => recreateTestDatabase(options.dbName, { drop });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} did not start`);
    return value;
  };

  return {
    async start(): Promise<void> {
      lab = await startSwarmLab({ images: [options.image, ...(options.images ?? [])] });
      const database = new URL(process.env.TEST_DATABASE_URL ?? '');
      forwarder = await startTcpForwarder({ host: lab.hostAddress }, { host: database.hostname, port: Number(database.port || 5432) });
      database.pathname = `/${options.dbName}`;
      if (options.edge) edge = await createPlatformEdge();
      const env = {
        ...edge?.env,
        DATABASE_URL: database.toString(),
        INSTANCE_RUNTIME: 'swarm',
        SWARM_MANAGER: `unix://${lab.manager.socket}`,
        SWARM_NODE_ENGINES: lab.nodes.map((n) => `${n.name}=unix://${n.socket}`).join(','),
        TENANT_DB_HOST: lab.hostAddress,
        TENANT_DB_PORT: String(forwarder.port),
        ODOO_VERSIONS: `18.0=${options.image}`,
        PROVISION_FROM_TEMPLATE: 'false',
        ...options.env,
      };
      await recreateDatabase();
      const db = createDatabase(env.DATABASE_URL, 2);
      await prepareDatabase({ database: db, config: testConfig(env) });
      await db.close();
      harness = await startHarness({ env });
      await edge?.start(harness.platform.edge as NginxEdgeRouter);
    },
    async stop(): Promise<void> {
      await harness?.close();
      await edge?.stop();
      await forwarder?.close();
      await (lab ? lab.stop() : stopSwarmLab());
      await recreateDatabase(true);
    },
    get lab(): SwarmLab {
      return started(lab, 'the swarm lab');
    },
    get harness(): Harness {
      return started(harness, 'the platform');
    },
    get edge(): PlatformEdge {
      return started(edge, 'the edge');
    },
    get forwarder(): Forwarder {
      return started(forwarder, 'the forwarder to PostgreSQL');
    },
  };
}
