import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EdgeJobDeps } from '../../src/domains/domains.jobs.js';
import type { NginxEdgeRouter } from '../../src/edge/nginx-edge-router.js';
import { type Harness, startHarness } from '../harness.js';
import { createPlatformEdge, type PlatformEdge } from './nginx.js';
import { type Pebble, startPebble } from './pebble.js';

export interface DomainsStack {
  edge: PlatformEdge;
  pebble: Pebble;
  h: Harness;
  /** What the domain jobs (verification, removal, renewal) run with, as the worker gives it. */
  edgeDeps(): EdgeJobDeps;
  close(): Promise<void>;
}

/**
 * A platform for custom-domain tests in TLS mode: the platform's real edge (a private nginx), pebble as
 * the CA and challtestsrv as DNS (every name resolves to 127.0.0.1 unless told otherwise), the domain
 * check allowed to reach loopback on the edge's port. No maintenance jobs: tests call them. `env`: more settings.
 */
export async function startDomainsStack(env: Record<string, string> = {}): Promise<DomainsStack> {
  const edge = await createPlatformEdge({ tls: true });
  const pebble = await startPebble({ httpPort: edge.httpPort });
  const caFile = join(edge.dir, 'pebble-ca.pem');
  await writeFile(caFile, pebble.tlsCa);
  const h = await startHarness({
    env: {
      ...edge.env,
      PROVISION_FROM_TEMPLATE: 'false',
      ACME_DIRECTORY_URL: pebble.directoryUrl,
      ACME_CA_FILE: caFile,
      ACME_EMAIL: 'ops@example.com',
      DOMAIN_VERIFY_PORT: String(edge.httpPort),
      DOMAIN_VERIFY_ALLOW_LOOPBACK: 'true',
      DOMAIN_VERIFY_DNS_SERVER: pebble.dnsServer,
      ...env,
    },
    workerOptions: { maintenance: false },
  });
  await edge.start(h.platform.edge as NginxEdgeRouter);
  return {
    edge,
    pebble,
    h,
    edgeDeps: () => ({
      config: h.platform.config,
      database: h.platform.database,
      edge: h.platform.edge,
      log: h.platform.log,
      issuer: h.platform.acme,
    }),
    async close() {
      await h.close();
      await pebble.stop();
      await edge.stop();
    },
  };
}
