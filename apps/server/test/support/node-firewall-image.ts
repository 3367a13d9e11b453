import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultEgressImage } from '../../src/config/runtime-env.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * The platform's nft image, saas-node-firewall:<version> (the default SWARM_EGRESS_IMAGE), built through the
 * offline path: `scripts/build-images.sh --only node-firewall`, which reuses it while its inputs are unchanged.
 * Returns its tag and the script's line (built / up to date).
 */
export async function buildNodeFirewallImage(): Promise<{ image: string; line: string }> {
  const { stdout } = await exec(`${ROOT}scripts/build-images.sh`, ['--only', 'node-firewall'], {
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { image: defaultEgressImage(), line: stdout.trim() };
}
