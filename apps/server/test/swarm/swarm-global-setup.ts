import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopSwarmLab } from '../support/swarm-lab.js';

/**
 * Once per swarm run: the Odoo stand-in image the labs load into their nodes (a local test fixture, not Odoo),
 * and no lab left by a crashed earlier run, neither before nor after.
 */
export default async function setup() {
  if (process.getuid?.() !== 0) throw new Error('the swarm suite builds network namespaces and daemons: run it as root');
  execFileSync(fileURLToPath(new URL('../fixtures/odoo-standin/build-image.sh', import.meta.url)), ['18.0'], { stdio: 'inherit' });
  await stopSwarmLab();
  return () => stopSwarmLab();
}
