import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDecryptCommand } from './backup-decrypt-cli.js';
import { createEncryptStream } from './storage/encryption.js';

const exec = promisify(execFile);
const key = randomBytes(32);
const env = { BACKUP_ENCRYPTION_KEY: key.toString('base64') };
// Several records, so a damaged object fails after some plaintext was already written.
const RECORD = 1024;
const plain = randomBytes(5 * RECORD + 123);
let dir: string;

async function encrypted(name: string, body: Buffer, withKey = key): Promise<string> {
  const file = join(dir, name);
  const chunks: Buffer[] = await Readable.from([body]).pipe(createEncryptStream(withKey, RECORD)).toArray();
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

function run(args: string[], environment: Record<string, string | undefined> = env) {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
  };
  return backupDecryptCommand(args, environment, io).then((code) => ({ code, ...out }));
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backup-decrypt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('backup-decrypt', () => {
  it('turns an encrypted archive into the plain bytes, readable by its owner only, with their SHA-256', async () => {
    const input = await encrypted('ok.enc', plain);
    const output = join(dir, 'ok.zip');
    const result = await run([input, output]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(output)).toEqual(plain);
    expect(JSON.parse(result.stdout)).toEqual({
      out: output,
      bytes: plain.length,
      sha256: createHash('sha256').update(plain).digest('hex'),
    });
    expect((await stat(output)).mode & 0o777).toBe(0o600);
  });

  it('accepts the key in hex as the platform does', async () => {
    const input = await encrypted('hex.enc', plain);
    const result = await run([input, join(dir, 'hex.zip')], { BACKUP_ENCRYPTION_KEY: key.toString('hex') });
    expect(result.code).toBe(0);
  });

  it('never overwrites an existing output', async () => {
    const input = await encrypted('exists.enc', plain);
    const output = join(dir, 'exists.zip');
    await writeFile(output, 'keep me');
    const result = await run([input, output]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/exists already/);
    expect(await readFile(output, 'utf8')).toBe('keep me');
  });

  it('says so when the key is not the one the archive was encrypted with, and writes nothing', async () => {
    const input = await encrypted('other-key.enc', plain, randomBytes(32));
    const output = join(dir, 'other-key.zip');
    const result = await run([input, output]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/another key than BACKUP_ENCRYPTION_KEY/);
    expect(await exists(output)).toBe(false);
  });

  it('tells a plain zip (stored without a key) from a file that is not ours', async () => {
    const zip = join(dir, 'plain.zip');
    await writeFile(zip, Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(200)]));
    const asZip = await run([zip, join(dir, 'plain.out')]);
    expect(asZip.code).toBe(1);
    expect(asZip.stderr).toMatch(/already the plain zip/);
    const other = join(dir, 'other.bin');
    await writeFile(other, randomBytes(200));
    const asOther = await run([other, join(dir, 'other.out')]);
    expect(asOther.stderr).toMatch(/not a backup encrypted by this platform/);
    expect(await exists(join(dir, 'plain.out'))).toBe(false);
    expect(await exists(join(dir, 'other.out'))).toBe(false);
  });

  it('removes what it wrote when the archive turns out truncated or modified', async () => {
    const whole = await readFile(await encrypted('whole.enc', plain));
    const truncated = join(dir, 'truncated.enc');
    await writeFile(truncated, whole.subarray(0, whole.length - 40));
    const cut = await run([truncated, join(dir, 'truncated.zip')]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/damaged or incomplete/);
    expect(await exists(join(dir, 'truncated.zip'))).toBe(false);

    const modified = Buffer.from(whole);
    const last = modified.length - 60;
    modified[last] = (modified[last] ?? 0) ^ 1;
    const tampered = join(dir, 'tampered.enc');
    await writeFile(tampered, modified);
    const changed = await run([tampered, join(dir, 'tampered.zip')]);
    expect(changed.stderr).toMatch(/failed authentication/);
    expect(await exists(join(dir, 'tampered.zip'))).toBe(false);
  });

  it('refuses a missing or malformed key and bad arguments before touching any file', async () => {
    const input = await encrypted('nokey.enc', plain);
    const output = join(dir, 'nokey.zip');
    expect(await run([input, output], {})).toMatchObject({ code: 78, stderr: expect.stringMatching(/not set/) });
    expect(await run([input, output], { BACKUP_ENCRYPTION_KEY: 'short' })).toMatchObject({ code: 78 });
    expect((await run([input])).code).toBe(2);
    expect((await run([input, output, 'extra'])).code).toBe(2);
    expect(await exists(output)).toBe(false);
    const missing = await run([join(dir, 'absent.enc'), join(dir, 'absent.zip')]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/does not exist/) });
    expect(await exists(join(dir, 'absent.zip'))).toBe(false);
  });

  it('runs as `cli.js backup-decrypt` with only the key in the environment', { timeout: 60_000 }, async () => {
    const input = await encrypted('cli.enc', plain);
    const output = join(dir, 'cli.zip');
    const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
    const serverDir = fileURLToPath(new URL('../..', import.meta.url));
    // No DATABASE_URL, JWT_SECRET...: the command must not need the platform's configuration.
    const child = exec(process.execPath, ['--import', 'tsx', cli, 'backup-decrypt', input, output], {
      cwd: serverDir,
      env: { PATH: process.env.PATH ?? '', BACKUP_ENCRYPTION_KEY: key.toString('hex') },
    });
    const { stdout } = await child;
    expect(JSON.parse(stdout)).toMatchObject({ out: output, bytes: plain.length });
    expect(await readFile(output)).toEqual(plain);

    const refused = await exec(process.execPath, ['--import', 'tsx', cli, 'backup-decrypt', input, output], {
      cwd: serverDir,
      env: { PATH: process.env.PATH ?? '', BACKUP_ENCRYPTION_KEY: key.toString('hex') },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/exists already/) });
  });
});
