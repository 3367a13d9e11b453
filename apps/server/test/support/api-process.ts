import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testEnv } from '../test-env.js';

const API_ENTRY = fileURLToPath(new URL('../../dist/main-api.js', import.meta.url));

export type ApiProcess = ChildProcess & { output: string[]; url: string };

/** The real API as its own process (the build of `npm run build`), listening on 127.0.0.1:`port`. */
export function startApiProcess(port: number, env: Record<string, string>): ApiProcess {
  if (!existsSync(API_ENTRY)) throw new Error(`${API_ENTRY} is missing: run \`npm run build\` first (npm test does).`);
  const child = spawn(process.execPath, [API_ENTRY], {
    env: { PATH: process.env.PATH ?? '', ...testEnv(env), HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as ApiProcess;
  child.output = [];
  child.url = `http://127.0.0.1:${port}`;
  const keep = (chunk: Buffer) => {
    child.output.push(chunk.toString());
    if (child.output.length > 400) child.output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}
