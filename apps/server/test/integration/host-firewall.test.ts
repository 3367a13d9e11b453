import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The production host firewall (deploy/firewall/nftables.conf.in, scripts/lib/firewall.sh). Checked
 * with nft's check mode and loaded only into a throwaway network namespace: this machine's own
 * firewall is never changed.
 */
const run = promisify(execFile);
const ROOT = new URL('../../../../', import.meta.url).pathname;
// The script is constant; values travel in the environment, as the production set-up passes its .env.
const RENDER = '. scripts/lib/common.sh && . scripts/lib/firewall.sh && render_host_firewall "$1"';
const hasNft = await run('nft', ['--version']).then(
  () => true,
  () => false,
);

let dir = '';
async function render(env: Record<string, string> = {}): Promise<string> {
  const out = join(dir, `rules-${Math.random().toString(36).slice(2)}.nft`);
  await run('bash', ['-c', RENDER, 'render', out], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'host-firewall-'));
});

describe.skipIf(!hasNft)('production host firewall', () => {
  it('renders a ruleset that nft accepts', async () => {
    const file = await render({ INSTANCE_SUBNET_POOL: '10.213.0.0/16', EDGE_PORT: '80', EDGE_HTTPS_PORT: '443' });
    await run('nft', ['-c', '-f', file]);
    const text = await readFile(file, 'utf8');
    expect(text).not.toMatch(/@[A-Z_]+@/);
    // Its own table only: never a flush of the ruleset that would take Docker's rules with it.
    expect(text).not.toMatch(/flush ruleset/);
  });

  it('once loaded, admits only SSH, the edge, and PostgreSQL from the instance pool', async () => {
    const file = await render({
      INSTANCE_SUBNET_POOL: '10.213.0.0/16',
      EDGE_PORT: '80',
      EDGE_HTTPS_PORT: '443',
      PORT: '3000',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
    });
    const before = (await run('nft', ['list', 'tables'])).stdout;
    // A network namespace of its own, gone when the command ends.
    const { stdout } = await run('unshare', ['--net', 'sh', '-c', 'nft -f "$0" && nft list table inet saas_host', file]);
    expect((await run('nft', ['list', 'tables'])).stdout).toBe(before);

    expect(stdout).toContain('type filter hook input priority filter; policy drop;');
    expect(stdout).toMatch(/elements = \{ 10\.213\.0\.0\/16 \}/);
    const accepts = stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /\baccept\b/.test(l) && /dport/.test(l));
    expect(accepts).toEqual([
      'udp sport 67 udp dport 68 accept',
      'udp sport 547 udp dport 546 accept',
      'tcp dport 22 ct state new limit rate 30/minute burst 20 packets accept comment "SSH"',
      'tcp dport { 80, 443 } accept comment "the edge: nginx, ACME HTTP-01 on 80"',
      'ip saddr @instance_pool tcp dport 5432 accept comment "PostgreSQL for the instances"',
      'ip saddr @platform_sources tcp dport { 5432, 6379 } accept comment "PostgreSQL and Redis for the platform"',
    ]);
    // No source is admitted to the platform's services unless listed.
    expect(stdout).not.toMatch(/set platform_sources \{[^}]*elements/);
    expect(stdout).not.toMatch(/dport 3000|dport 9464/);
  });

  it('refuses values that would smuggle rules into the file', async () => {
    const cases: Record<string, string>[] = [
      { INSTANCE_SUBNET_POOL: '10.0.0.0/8 } ; flush ruleset ; #' },
      { TENANT_DB_PORT: '5432, 6379' },
      { SSH_PORT: '0' },
      { PLATFORM_SOURCE_NETWORKS: '172.20.0.0/16,0.0.0.0/0 accept' },
    ];
    for (const env of cases) {
      await expect(render(env)).rejects.toThrow(/host firewall/);
    }
  });
});
