import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `docker ARGS` (an argument list, never a shell string); stdout, trimmed. The error keeps stderr. */
export async function docker(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run('docker', args, {
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: number };
    throw new Error(`docker ${args.slice(0, 3).join(' ')} … failed (exit ${e.code}): ${e.stderr?.trim() || e.message}`);
  }
}

/** Like docker(), but the outcome of a command expected to fail or succeed: exit code, stdout, stderr. */
export async function dockerOutcome(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('docker', args, { env: env ?? process.env, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout?.trim() ?? '', stderr: e.stderr?.trim() ?? '' };
  }
}

export async function inspect<T>(ref: string, format: string): Promise<T> {
  return JSON.parse(await docker(['inspect', '--format', `{{json ${format}}}`, ref])) as T;
}

/** The last lines a container printed, for failure messages. */
export const logsOf = (name: string) =>
  dockerOutcome(['logs', '--tail', '40', name]).then((o) => `--- docker logs ${name}\n${o.stdout}\n${o.stderr}`);

/** Polls `probe` until it returns a value (not undefined), or throws with `what` and the containers' logs. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, logsFrom: string[] = []) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  const logs = await Promise.all(logsFrom.map(logsOf));
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${String(last)})\n${logs.join('\n')}`);
}

export const health = (name: string) => inspect<{ Status: string } | null>(name, '.State.Health').then((h) => h?.Status);

/** Runs a Node one-liner inside a running container, as the container's user. */
export const nodeIn = (name: string, code: string) => docker(['exec', name, '/usr/local/bin/node', '-e', code]);

/** The real uid of the container's PID 1 (its main process), from /proc. */
export const pid1Uid = (name: string) =>
  nodeIn(name, "process.stdout.write(require('fs').readFileSync('/proc/1/status','utf8').match(/^Uid:\\s+(\\d+)/m)[1])").then(Number);

/** The error code of writing a file at each path inside the container ('ok' when the write succeeded). */
export const writeResults = (name: string, paths: string[]) =>
  nodeIn(
    name,
    `const fs=require('fs');const out={};for(const p of ${JSON.stringify(paths)}){try{fs.writeFileSync(p,'x');fs.unlinkSync(p);out[p]='ok'}catch(e){out[p]=e.code}}process.stdout.write(JSON.stringify(out))`,
  ).then((out) => JSON.parse(out) as Record<string, string>);
