import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/*
 * Stopping and starting the machine's real PostgreSQL, Redis and Docker engine, for the chaos tests (test/chaos, run on
 * their own after the other suites: every other test on the machine breaks meanwhile). Needs root, as
 * scripts/test.sh runs. Each start is the scripts' own way, so what is restarted is what `npm run up` runs.
 */

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

function run(command: string, args: string[], env: Record<string, string> = {}) {
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, timeout: 60_000 });
}

/** The PostgreSQL cluster serving the tests' database ("15 main"), found by its port. */
function postgresCluster(): [string, string] {
  const port = new URL(process.env.TEST_DATABASE_URL ?? '').port || '5432';
  const lines = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).trim().split('\n');
  const match = lines.map((line) => line.trim().split(/\s+/)).find((cols) => cols[2] === port);
  if (!match?.[0] || !match[1]) throw new Error(`no PostgreSQL cluster on port ${port}`);
  return [match[0], match[1]];
}

export const postgres = {
  stop: () => run('pg_ctlcluster', [...postgresCluster(), 'stop', '-m', 'fast']),
  /** Starts it if it is down (idempotent: safe in an afterAll after a failure). */
  start: () => {
    const [version, name] = postgresCluster();
    run('bash', ['-c', `pg_ctlcluster ${version} ${name} status >/dev/null || pg_ctlcluster ${version} ${name} start`]);
    run('bash', [
      '-c',
      'for i in $(seq 60); do pg_isready -q -h 127.0.0.1 -p "$1" && exit 0; sleep 0.5; done; exit 1',
      '_',
      new URL(process.env.TEST_DATABASE_URL ?? '').port || '5432',
    ]);
  },
};

const redisUrl = () => new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');

export const redis = {
  /** SHUTDOWN saves the data set first (as a restart by the init script would), then the server exits. */
  stop: () =>
    run('bash', [
      '-c',
      'redis-cli -h "$1" -p "$2" shutdown >/dev/null 2>&1; for i in $(seq 40); do redis-cli -h "$1" -p "$2" ping >/dev/null 2>&1 || exit 0; sleep 0.25; done; exit 1',
      '_',
      redisUrl().hostname,
      redisUrl().port || '6379',
    ]),
  /** Started as scripts/lib/services.sh does (idempotent). */
  start: () =>
    run('bash', ['-c', `. "${ROOT}scripts/lib/common.sh" && . "${ROOT}scripts/lib/services.sh" && ensure_redis`], {
      REDIS_URL: `redis://${redisUrl().hostname}:${redisUrl().port || '6379'}`,
    }),
};

/** Whether systemd runs the engine here (a Debian machine with docker.io), rather than scripts/lib/services.sh. */
function dockerUnderSystemd() {
  try {
    run('systemctl', ['is-active', '--quiet', 'docker']);
    return true;
  } catch {
    return false;
  }
}

/** How the engine that the chaos tests stopped was running (so it is started again the same way). */
let dockerViaSystemd = false;

export const docker = {
  /**
   * Stops the engine as a service restart does: dockerd stops every container (no live-restore), which
   * its restart policy brings back when the engine returns. Waits until no dockerd is left.
   */
  stop: () => {
    dockerViaSystemd = dockerUnderSystemd();
    if (dockerViaSystemd) return run('systemctl', ['stop', 'docker.socket', 'docker']);
    run('bash', [
      '-c',
      'pkill -TERM -x dockerd || exit 1; for i in $(seq 120); do pgrep -x dockerd >/dev/null || exit 0; sleep 0.25; done; exit 1',
    ]);
  },
  /** Started the way it was started before (idempotent). */
  start: () => {
    if (dockerViaSystemd) return run('systemctl', ['start', 'docker']);
    run('bash', ['-c', `. "${ROOT}scripts/lib/common.sh" && . "${ROOT}scripts/lib/services.sh" && ensure_docker`]);
  },
};
