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

/** The API's processes side by side on one port (API_PROCESSES), as `npm run up` runs them by default. */
export const API_PROCESSES = 2;

/** supervisord's names of a program's processes: api:api-0, api:api-1...; worker. */
const processNames = (program: Program) =>
  program === 'api' ? Array.from({ length: API_PROCESSES }, (_, n) => `api:api-${n}`) : ['worker'];

/**
 * The built API and worker (`npm run build`) under supervisord, configured exactly as `npm run up`
 * configures them (scripts/lib/supervisor.sh renders the file), in a temporary run directory of its
 * own: a process the test kills with SIGKILL is started again by the supervisor, not by the test.
 */
export interface SupervisedPlatform {
  apiUrl: string;
  /** The pid of the program's process `n` (the API has API_PROCESSES of them) once RUNNING, else null. */
  pid(program: Program, n?: number): Promise<number | null>;
  /** Whether each of these programs has at least one process started (STARTING or RUNNING). */
  running(...programs: Program[]): Promise<boolean>;
  /** supervisord's state of the program's processes: RUNNING when all are, else each one's (STARTING, BACKOFF, EXITED, FATAL...). */
  state(program: Program): Promise<string>;
  /** SIGKILL to the program's process `n`, as a crash would; returns the killed pid. */
  kill(program: Program, n?: number): Promise<number>;
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
      API_PROCESSES: String(API_PROCESSES),
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
  /** Every process's state and pid, from one `supervisorctl status` (a Python start-up per call: calls are dear under load). */
  const processes = async () => {
    const rows = new Map<string, { state: string; pid: number | null }>();
    for (const line of (await ctl('status')).split('\n')) {
      const [name, state = '', ...rest] = line.trim().split(/\s+/);
      const pid = /pid (\d+),/.exec(rest.join(' '))?.[1];
      if (name) rows.set(name, { state, pid: pid ? Number(pid) : null });
    }
    return rows;
  };
  // Started: spawned and alive (STARTING until it has run for startsecs, then RUNNING).
  const up = (state = '') => state === 'STARTING' || state === 'RUNNING';
  const pid = async (program: Program, n = 0) => (await processes()).get(processNames(program)[n] ?? program)?.pid ?? null;
  const running = async (...programs: Program[]) => {
    const rows = await processes();
    return programs.every((program) => processNames(program).some((name) => up(rows.get(name)?.state)));
  };
  const logs = async (lines = 60) => {
    const parts = [`--- supervisord (run directory ${runDir}) ---\n${output.join('')}`];
    for (const program of [...processNames('api'), 'worker'].map((name) => name.replace(/^.*:/, ''))) {
      const text = await readFile(join(runDir, 'logs', `${program}.log`), 'utf8').catch(() => '');
      parts.push(`--- ${program} ---\n${text.split('\n').slice(-lines).join('\n')}`);
    }
    return parts.join('\n');
  };

  const deadline = Date.now() + 30_000;
  const allRunning = async () => {
    const rows = await processes();
    return [...processNames('api'), ...processNames('worker')].every((name) => up(rows.get(name)?.state));
  };
  while (!(await allRunning())) {
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
    running,
    async state(program) {
      const rows = await processes();
      const states = processNames(program).map((name) => rows.get(name)?.state ?? 'UNKNOWN');
      return states.every((state) => state === 'RUNNING') ? 'RUNNING' : states.join(' ');
    },
    async kill(program, n = 0) {
      const victim = await pid(program, n);
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
      // CHAOS_KEEP_LOGS=1 keeps the run directory (logs/api-0.log, logs/api-1.log, logs/worker.log, logs/supervisord.log) to read after a failure.
      if (!process.env.CHAOS_KEEP_LOGS) await rm(runDir, { recursive: true, force: true });
    },
  };
}
