import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../../scripts/deploy-stack.sh', import.meta.url));

/** scripts/deploy-stack.sh against the engine at `socket` (a lab's manager); its stderr is kept for a failure's message. */
export async function deployStack(socket: string, args: string[]) {
  try {
    const { stderr } = await exec(SCRIPT, args, {
      env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
      timeout: 300_000,
      maxBuffer: 8 << 20,
    });
    return stderr;
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    throw new Error(`deploy-stack.sh ${args.join(' ')} failed (${e.code}):\n${e.stderr ?? String(err)}`);
  }
}

/**
 * What an operator writes for the script, in a new temporary directory: the env file and the secrets directory
 * (one file per secret; the script generates the keys). An empty secret is an empty file.
 */
export async function writeStackFiles(env: Record<string, string>, secrets: Record<string, string>) {
  const work = await mkdtemp(join(tmpdir(), 'saas-stack-'));
  const secretsDir = join(work, 'secrets');
  await mkdir(secretsDir, { mode: 0o700 });
  for (const [name, value] of Object.entries(secrets)) {
    await writeFile(join(secretsDir, name), value ? `${value}\n` : '', { mode: 0o600 });
  }
  const envFile = join(work, 'platform.env');
  await writeFile(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return { work, envFile, secretsDir };
}
