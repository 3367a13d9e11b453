import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testEnv } from '../test-env.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Program = 'api' | 'worker';

/**
 * The built API and worker (`npm run build`) under supervisord, configured exactly as `npm run up`
 * configures them (scripts/lib/supervisor.sh renders the file), in a temporary run directory of its
 * own: a process the test kills with SIGKILL is started again by the supervisor, not by the test.
 */
export interface SupervisedPlatform {
  apiUrl: string;
  /** The pid of a running program, or null while it is not running. */
  pid(program: Program): Promise<number | null>;
  /** supervisord's state of the program: RUNNING, STARTING, BACKOFF, EXITED, FATAL... */
  state(program: Program): Promise<string>;
  /** SIGKILL to the program's process, as a crash would; returns the killed pid. */
  kill(program: Program): Promise<number>;
  /** The last `lines` lines of each program's log, for failure messages. */
  logs(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startSupervisedPlatform(apiPort: number, env: Record<string, string>): Promise<SupervisedPlatform> {
  const runDir = await mkdtemp(join(tmpdir(), 'saas-sv-'));
  const conf = join(runDir, 'supervisor', 'supervisord.conf');
  for (const entry of ['main-api.js', 'main-worker.js']) {
    await readFile(join(ROOT, 'apps/server/dist', entry)).catch(() => {
      throw new Error(`apps/server/dist/${entry} is missing: run \`npm run build\` first (npm test does).`);
    });
  }
  const render = `. scripts/lib/common.sh && RUN_DIR="$1" && . scripts/lib/supervisor.sh && supervisor_render && exec supervisord -n -c "$SUPERVISOR_CONF"`;
  const supervisord = spawn('bash', ['-c', render, '_', runDir], {
    cwd: ROOT,
    env: {
      // The programs inherit supervisord's environment, as under `npm run up`; node is the one running the tests.
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      ...testEnv(env),
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  supervisord.stdout.on('data', (c: Buffer) => output.push(c.toString()));
  supervisord.stderr.on('data', (c: Buffer) => output.push(c.toString()));

  const ctl = async (...args: string[]) => {
    try {
      return (await exec('supervisorctl', ['-c', conf, ...args], { timeout: 10_000 })).stdout.trim();
    } catch (err) {
      // supervisorctl exits non-zero for a program that is not running, with the answer on stdout.
      return String((err as { stdout?: string }).stdout ?? '').trim();
    }
  };
  const pid = async (program: Program) => {
    const text = await ctl('pid', program);
    return /^[1-9]\d*$/.test(text) ? Number(text) : null;
  };
  const logs = async (lines = 60) => {
    const parts = [`--- supervisord (run directory ${runDir}) ---\n${output.join('')}`];
    for (const program of ['api', 'worker']) {
      const text = await readFile(join(runDir, 'logs', `${program}.log`), 'utf8').catch(() => '');
      parts.push(`--- ${program} ---\n${text.split('\n').slice(-lines).join('\n')}`);
    }
    return parts.join('\n');
  };

  const deadline = Date.now() + 30_000;
  while (!((await pid('api')) && (await pid('worker')))) {
    if (supervisord.exitCode !== null || Date.now() > deadline) {
      throw new Error(`supervisord did not start the API and the worker\n${await logs()}`);
    }
    await sleep(200);
  }
  // Then until the API listens (any answer of /ready: the worker may still be starting).
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  while (!(await fetch(`${apiUrl}/api/v1/ready`, { signal: AbortSignal.timeout(2_000) }).catch(() => null))) {
    if (Date.now() > deadline) throw new Error(`the API did not listen on ${apiUrl}\n${await logs()}`);
    await sleep(200);
  }

  return {
    apiUrl,
    pid,
    state: async (program) => (await ctl('status', program)).split(/\s+/)[1] ?? '',
    async kill(program) {
      const victim = await pid(program);
      if (!victim) throw new Error(`${program} is not running\n${await logs()}`);
      process.kill(victim, 'SIGKILL');
      return victim;
    },
    logs,
    async stop() {
      if (supervisord.exitCode === null) {
        const exited = new Promise((resolve) => supervisord.once('exit', resolve));
        await ctl('shutdown');
        await Promise.race([exited, sleep(30_000)]);
        if (supervisord.exitCode === null) supervisord.kill('SIGKILL');
      }
      // CHAOS_KEEP_LOGS=1 keeps the run directory (logs/api.log, logs/worker.log, logs/supervisord.log) to read after a failure.
      if (!process.env.CHAOS_KEEP_LOGS) await rm(runDir, { recursive: true, force: true });
    },
  };
}
