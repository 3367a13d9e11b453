import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { edgePaths } from './edge-paths.js';
import type { EdgeLog } from './edge-router.js';

export interface NginxSupervisorOptions {
  /** The edge directory (its nginx.conf must be valid before start). */
  dir: string;
  nginxBin?: string;
  log: EdgeLog;
  /** First restart delay after nginx dies; doubled up to maxRestartDelayMs, reset after a minute of uptime. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/**
 * nginx's master as a child of the edge container's syncer (`cli.js edge-sync --nginx`): in the
 * foreground (daemon off), so the syncer sees it die and starts it again; the container has no other
 * supervisor. Reloads still go through its pid file (nginx-process.ts), as for a nginx started elsewhere.
 */
export class NginxSupervisor {
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private delay: number;
  /** How many times nginx was started again after it died. */
  restarts = 0;

  constructor(private readonly options: NginxSupervisorOptions) {
    this.delay = options.restartDelayMs ?? 1_000;
  }

  start(): void {
    if (this.stopping || this.child) return;
    const paths = edgePaths(this.options.dir);
    const startedAt = Date.now();
    const child = spawn(
      this.options.nginxBin ?? 'nginx',
      ['-p', `${paths.dir}/`, '-e', join(paths.logs, 'error.log'), '-c', paths.mainConf, '-g', 'daemon off;'],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    this.child = child;
    child.on('error', (err) => this.options.log.warn({ err: err.message }, 'nginx could not be started'));
    child.on('exit', (code, signal) => {
      this.child = null;
      if (this.stopping) return;
      if (Date.now() - startedAt > 60_000) this.delay = this.options.restartDelayMs ?? 1_000;
      this.options.log.warn({ code, signal, restartInMs: this.delay }, 'nginx exited: starting it again');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        this.restarts++;
        // A master that was killed leaves its workers running with the listening sockets: the new one could not bind.
        void killOrphanedWorkers()
          .catch(() => 0)
          .then((killed) => {
            if (killed > 0) this.options.log.warn({ killed }, "nginx: the dead master's workers stopped");
            this.start();
          });
      }, this.delay);
      this.delay = Math.min(this.delay * 2, this.options.maxRestartDelayMs ?? 10_000);
    });
  }

  /** Graceful stop (QUIT: requests in flight finish), then TERM and KILL past the timeout. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * nginx workers and cache processes whose master is gone, in this container: they are re-parented to
 * PID 1, which is this process (the image's entry point) or the container's init (`--init`). Elsewhere
 * (no container of its own) nothing is touched: PID 1 is the machine's init, and its orphans are not ours.
 */
async function killOrphanedWorkers(): Promise<number> {
  const init = await readFile('/proc/1/cmdline', 'utf8').catch(() => '');
  const ownNamespace = process.pid === 1 || /(^|\/)(docker-init|tini)\0/.test(init);
  if (!ownNamespace) return 0;
  const orphans: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== 1 && ppid !== process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (/^nginx: (worker|cache)/.test(cmdline)) orphans.push(Number(entry));
  }
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (orphans.length > 0) await sleep(100);
  return orphans.length;
}
