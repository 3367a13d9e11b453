import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultEgressImage } from '../../src/config/runtime-env.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { buildNodeFirewallImage } from '../support/node-firewall-image.js';
import { dockerOutcome, inspect } from './image-helpers.js';

/**
 * The egress policy's image on swarm nodes (docs/images.md#saas-node-firewall): saas-node-firewall, built through the
 * offline path from this machine's nftables, is the default SWARM_EGRESS_IMAGE. Its nft works as the platform runs it
 * (root of the container with CAP_NET_ADMIN only, read-only, no new privileges) and does nothing without that
 * capability or as the image's own user. Changing rules happens in containers' own network namespaces here; the
 * platform's runner only lists the host's tables. The swarm suite's swarm-egress test loads it on the nodes.
 */

const VERSION = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const IMAGE = `saas-node-firewall:${VERSION}`;
const HARDENED = ['--rm', '--network', 'none', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

beforeAll(async () => {
  const { line } = await buildNodeFirewallImage();
  console.info(line);
}, 300_000);

describe('the node firewall image', () => {
  it('is the default SWARM_EGRESS_IMAGE, labelled, non-root by default, with nft as its entry point', async () => {
    expect(defaultEgressImage()).toBe(IMAGE);
    const config = await inspect<{ User: string; Entrypoint: string[]; Labels: Record<string, string> }>(IMAGE, '.Config');
    expect(config.User).toBe('10001:10001');
    expect(config.Entrypoint).toEqual(['/usr/sbin/nft']);
    expect(config.Labels['org.opencontainers.image.title']).toBe('saas-node-firewall');
    expect(config.Labels['org.opencontainers.image.version']).toBe(VERSION);
    expect(config.Labels['org.odoo-saas.node-firewall.nftables']).toMatch(/^1\.\d+\.\d+/);
    expect(config.Labels['org.odoo-saas.input-hash']).toMatch(/^[0-9a-f]{32}$/);
    const version = await dockerOutcome(['run', ...HARDENED, IMAGE]);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^nftables v1\.\d+\.\d+/) });
  });

  it('changes a ruleset with CAP_NET_ADMIN only, and nothing without it or as its own user', async () => {
    const script =
      'add table inet saas_probe\nadd chain inet saas_probe out { type filter hook output priority 0; policy accept; }\nlist ruleset';
    const root = await dockerOutcome(['run', ...HARDENED, '--user', '0:0', '--cap-add', 'NET_ADMIN', IMAGE, script]);
    expect(root.code, root.stderr).toBe(0);
    expect(root.stdout).toMatch(/table inet saas_probe \{\s+chain out \{\s+type filter hook output priority filter; policy accept;/);

    const noCapability = await dockerOutcome(['run', ...HARDENED, '--user', '0:0', IMAGE, script]);
    expect(noCapability.code).not.toBe(0);
    expect(noCapability.stderr).toMatch(/Operation not permitted/);
    const ownUser = await dockerOutcome(['run', ...HARDENED, '--cap-add', 'NET_ADMIN', IMAGE, script]);
    expect(ownUser.code).not.toBe(0);
    expect(ownUser.stderr).toMatch(/Operation not permitted/);
  });

  it('runs through the platform’s node firewall runner (host network, CAP_NET_ADMIN only) and is reused unchanged', async () => {
    const result = await new DockerRuntime().runNodeFirewallCommand(IMAGE, ['list', 'tables']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // The host has tables (Docker's own at least): the runner saw the host's ruleset, not an empty namespace.
    expect(result.stdout).toMatch(/^table (ip|inet|ip6) \S+/m);
    const again = await buildNodeFirewallImage();
    expect(again.line).toMatch(new RegExp(`^${IMAGE.replace(/[.:]/g, '\\$&')} up to date`));
  });
});
