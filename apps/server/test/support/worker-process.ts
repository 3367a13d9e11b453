import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testEnv } from '../test-env.js';

export type BuiltProcess = ChildProcess & { output: string[] };

/**
 * Every process started here and not yet gone. A test that times out never reaches its `finally`: without this,
 * its worker would outlive the file (adopted by init) and go on reconciling the shared test database and engine
 * under later suites, recreating containers they purged.
 */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * One of the platform's real processes (the build of `npm run build`: `main-worker.js`, `main-api.js`), so
 * a test can kill it with SIGKILL at any moment and start another, exactly as a crash and a restart would.
 * The last 400 chunks of its output are kept for failure messages.
 */
export function startBuiltProcess(entry: 'main-worker.js' | 'main-api.js', env: Record<string, string>): BuiltProcess {
  const path = fileURLToPath(new URL(`../../dist/${entry}`, import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does).`);
  const child = spawn(process.execPath, [path], {
    env: { PATH: process.env.PATH ?? '', ...testEnv(env), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as BuiltProcess;
  child.output = [];
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  const keep = (chunk: Buffer) => {
    child.output.push(chunk.toString());
    if (child.output.length > 400) child.output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

export const startWorkerProcess = (env: Record<string, string>) => startBuiltProcess('main-worker.js', env);

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
