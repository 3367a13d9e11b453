import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SWARM_WORKERS } from '../../vitest.swarm.config.js';
import { stopSwarmLab, testLab } from '../support/swarm-lab.js';

/**
 * Once per swarm run: the Odoo stand-in image the labs load into their nodes (a local test fixture, not Odoo),
 * and no lab left by a crashed earlier run, neither before nor after.
 */
export default async function setup() {
  if (process.getuid?.() !== 0) throw new Error('the swarm suite builds network namespaces and daemons: run it as root');
  execFileSync(fileURLToPath(new URL('../fixtures/odoo-standin/build-image.sh', import.meta.url)), ['18.0'], { stdio: 'inherit' });
  // Each worker's lab (the global setup runs outside the workers: VITEST_POOL_ID is not set here).
  const stopAll = async () => {
    for (let pool = 1; pool <= SWARM_WORKERS; pool++) await stopSwarmLab(testLab(pool).name);
  };
  await stopAll();
  return stopAll;
}
