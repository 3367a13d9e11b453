import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { TenantLogin } from '../tenant-db-server.js';

/** Where the tenant server listens, from the platform's admin URL (a `?host=` socket directory wins, as in libpq). */
export function serverAddress(adminUrl: string): { host: string; port: string } {
  const url = new URL(adminUrl);
  return { host: url.searchParams.get('host') ?? decodeURIComponent(url.hostname), port: url.port || '5432' };
}

/** A ~/.pgpass line for any host and database; `:` and `\` are escaped as libpq reads them. */
export function pgpassLine(login: TenantLogin): string {
  const esc = (s: string) => s.replaceAll('\\', '\\\\').replaceAll(':', '\\:');
  if (/[\r\n]/.test(login.role + login.password)) throw new Error('a role or password with a line break cannot go in a pgpass file');
  return `*:*:*:${esc(login.role)}:${esc(login.password)}\n`;
}

/** A failed pg_dump, with what it said (its stderr never holds the password: it only reads it from the file). */
export class PgDumpError extends Error {
  constructor(
    message: string,
    public readonly exitCode: number | null,
    public readonly stderr: string,
  ) {
    super(message);
    this.name = 'PgDumpError';
  }
}

const STDERR_KEEP = 8000;

/**
 * Runs the host's `pg_dump` as the instance's own role, into `outFile` as plain SQL without owners or grants
 * (Odoo's own dump format). The password reaches it through a temporary PGPASSFILE (mode 0600), never argv or
 * the environment others can read; an abort kills it.
 */
export async function pgDump(
  adminUrl: string,
  db: string,
  as: TenantLogin,
  outFile: string,
  signal?: AbortSignal,
): Promise<{ bytes: number }> {
  signal?.throwIfAborted();
  const { host, port } = serverAddress(adminUrl);
  const dir = await mkdtemp(join(tmpdir(), 'saas-pgpass-'));
  try {
    const passFile = join(dir, 'pgpass');
    await writeFile(passFile, pgpassLine(as), { mode: 0o600, flag: 'wx' });
    const args = [
      '--no-owner',
      '--no-privileges',
      '--format=plain',
      `--file=${outFile}`,
      '--host',
      host,
      '--port',
      port,
      '--username',
      as.role,
      '--no-password',
      '--dbname',
      db,
    ];
    const child = spawn('pg_dump', args, {
      // Only what pg_dump needs: no inherited PG* variable may point it elsewhere.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSFILE: passFile, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      signal,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    signal?.throwIfAborted();
    if (exitCode !== 0) throw new PgDumpError(`pg_dump of ${db} failed (exit ${exitCode}): ${stderr.trim()}`, exitCode, stderr);
    return { bytes: (await stat(outFile)).size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Installed modules (name → latest_version) and `server_version_num`, as a backup's manifest records them. */
export async function odooDumpFacts(client: pg.Client): Promise<{ modules: Record<string, string | null>; serverVersionNum: number }> {
  // The tenant owns the table: a slow view or trigger it planted must not hold a backup up.
  await client.query("set statement_timeout = '30s'");
  const rows = await client.query<{ name: string; latest_version: string | null }>(
    "select name, latest_version from ir_module_module where state = 'installed' order by name",
  );
  const version = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
  const modules: Record<string, string | null> = {};
  for (const row of rows.rows) modules[row.name] = row.latest_version;
  return { modules, serverVersionNum: Number(version.rows[0]?.v) };
}
