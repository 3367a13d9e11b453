import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { edgePaths } from './edge-paths.js';
import { EdgeConfigError } from './edge-router.js';

/** The nginx process of one edge directory: config checks, its master, graceful reloads. */

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with an argument array (never a shell string). */
function run(file: string, args: string[], timeoutMs = 30_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * `nginx -t` on a candidate config tree (`<candidate>/nginx.conf`), with the edge directory as
 * prefix so relative paths resolve as they will live. Paths in nginx's output read `(candidate) …`.
 */
export async function testNginxConfig(nginxBin: string, dir: string, candidate: string): Promise<{ ok: boolean; output: string }> {
  const result = await run(nginxBin, [
    '-t',
    '-q',
    '-p',
    `${dir}/`,
    '-e',
    join(edgePaths(dir).logs, 'error.log'),
    '-c',
    join(candidate, 'nginx.conf'),
  ]);
  return { ok: result.code === 0, output: `${result.stderr}${result.stdout}`.replaceAll(`${candidate}/`, '(candidate) ') };
}

/** The nginx master of this edge directory, or null when it is not running. */
export async function nginxMasterPid(dir: string): Promise<number | null> {
  const text = await readFile(edgePaths(dir).pid, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  // A stale pid file may name a reused pid: it only counts if that process is our nginx master.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('nginx: master process')) return null;
  return cmdline.includes(dir) ? pid : null;
}

export async function childPids(pid: number): Promise<Set<number> | null> {
  const text = await readFile(join('/proc', String(pid), 'task', String(pid), 'children'), 'utf8').catch(() => null);
  if (text === null) return null;
  return new Set(text.split(/\s+/).filter(Boolean).map(Number));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Graceful reload (SIGHUP): the master re-reads the config, starts new workers and lets the old
 * ones finish their requests. Resolves once a new worker exists; rejects with the error log's
 * complaint if the master kept the old config (e.g. a port it could not bind).
 */
export async function reloadNginx(dir: string, pid: number, timeoutMs: number): Promise<void> {
  const before = await childPids(pid);
  const errorLog = join(edgePaths(dir).logs, 'error.log');
  const logSize = (await readFile(errorLog).catch(() => Buffer.alloc(0))).length;
  process.kill(pid, 'SIGHUP');
  if (!before) {
    // No /proc children file on this kernel: give the master a moment.
    await sleep(200);
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(20);
    const now = await childPids(pid);
    if (!now) throw new EdgeConfigError('nginx exited during reload', '');
    // Served by the new config once a new worker runs and no old worker still accepts connections
    // (an old worker renames itself "worker process is shutting down" as it closes its sockets).
    if (![...now].some((child) => !before.has(child))) continue;
    let oldAccepting = false;
    for (const child of before) {
      if (!now.has(child)) continue;
      const title = await readFile(`/proc/${child}/cmdline`, 'utf8').catch(() => '');
      if (/worker process/.test(title) && !/shutting down/.test(title)) oldAccepting = true;
    }
    if (!oldAccepting) return;
  }
  const log = (await readFile(errorLog).catch(() => Buffer.alloc(0))).subarray(logSize).toString('utf8');
  const complaint = log
    .split('\n')
    .filter((l) => /\[(emerg|alert|crit)\]/.test(l))
    .join('\n');
  throw new EdgeConfigError('nginx did not take the new config on reload', complaint || log.slice(-2000));
}
