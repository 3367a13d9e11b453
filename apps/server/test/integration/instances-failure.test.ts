import { randomUUID } from 'node:crypto';
import Docker from 'dockerode';
import { sql } from 'drizzle-orm';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, type Harness, startHarness, type TestUser } from '../harness.js';
import { createInstance, deleteAndWait, leftovers, provisionRun, waitForProvisionStep, waitForStatus } from '../support/instances.js';

/**
 * Odoo that can never become healthy fails provisioning within seconds, with Odoo's own last words; a
 * deletion during provisioning stops it at once instead of waiting for it. The images are variants of the
 * stand-in whose `odoo` misbehaves in one chosen way.
 */

let h: Harness;
let owner: TestUser;
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const TAG = `fail-${randomUUID().slice(0, 6)}`;

/**
 * A stand-in variant: its `odoo` (/usr/bin/odoo, which the platform runs) initializes a database as usual with
 * `--stop-after-init` (so the database step passes), but as a server it runs `serverScript` instead.
 */
async function variant(name: string, serverScript: string) {
  const base = await docker.createContainer({ Image: 'odoo-standin:18.0', Labels: { 'saas.platform': h.platform.config.resourcePrefix } });
  const odoo = [
    '#!/usr/local/bin/node',
    'const a = process.argv.slice(2);',
    "if (a.includes('--stop-after-init')) import('/opt/odoo-standin/server.mjs').then(async (m) => process.exit(await m.runOdoo(a)));",
    `else { ${serverScript} }`,
  ].join('\n');
  const archive = pack();
  archive.entry({ name: 'usr/bin/odoo', mode: 0o755 }, `${odoo}\n`);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  await base.putArchive(Buffer.concat(chunks), { path: '/' });
  await base.commit({ repo: 'odoo-standin', tag: `${TAG}-${name}` });
  await base.remove();
  const version = `${name === 'exits' ? '15' : '14'}.0`;
  await h.platform.db.execute(
    sql`insert into odoo_versions (version, image, enabled) values (${version}, ${`odoo-standin:${TAG}-${name}`}, true)
        on conflict (version) do update set image = excluded.image, enabled = true`,
  );
  return version;
}

beforeAll(async () => {
  h = await startHarness({ env: { PROVISION_FROM_TEMPLATE: 'false', INSTANCE_HEALTH_TIMEOUT_SECONDS: '60' } });
  owner = await createUser(h, { label: 'failure', verify: 'direct' });
});
afterAll(async () => {
  await h?.close();
  for (const image of await docker.listImages({ filters: { reference: [`odoo-standin:${TAG}-*`] } })) {
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

describe('Odoo that cannot start', () => {
  it("fails within seconds, showing Odoo's own last log lines, and leaves nothing behind", async () => {
    const version = await variant(
      'exits',
      `console.log('2026-12-01 10:00:00,000 1 CRITICAL ? odoo.service.server: Failed to load server-wide module \\'no_such_module\\'.'); process.exit(3);`,
    );
    const created = await createInstance(h, owner, { version });
    const started = Date.now();
    const done = await waitForStatus(h, owner, created.id, ['running', 'failed'], 60_000);
    const seconds = (Date.now() - started) / 1000;
    expect(done.status).toBe('failed');
    expect(done.lastError).toMatch(/exited \(code 3\)|exited with code 3/);
    expect(done.lastError).toContain("Failed to load server-wide module 'no_such_module'");
    // The health timeout is 60 s: the failure is seen from the engine, not waited out.
    expect(seconds).toBeLessThan(20);
    expect(await leftovers(h, created.id)).toEqual([]);
  });
});

describe('deleting an instance while it is being provisioned', () => {
  it('stops the provisioning at once and removes what it made', async () => {
    // Odoo that starts but never answers: provisioning would wait for the health timeout (60 s).
    const version = await variant('silent', 'setInterval(() => {}, 1000);');
    const created = await createInstance(h, owner, { version });
    await waitForProvisionStep(h, created.id, 'health', 30_000);
    const seconds = await deleteAndWait(h, owner, created.id, 30_000);
    expect(seconds).toBeLessThan(10);
    expect((await provisionRun(h, created.id))?.status).toBe('cancelled');
    expect(await leftovers(h, created.id)).toEqual([]);
  });
});
