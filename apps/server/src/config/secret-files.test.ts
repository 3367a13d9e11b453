import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSecretFiles } from './secret-files.js';

describe('resolveSecretFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secret-files-'));
  const file = join(dir, 'jwt');
  writeFileSync(file, 'a-secret-with-a-line-break\n');

  it('reads NAME_FILE into NAME without its last line break, for known names only', () => {
    const { env, problems } = resolveSecretFiles({ JWT_SECRET_FILE: file, OTHER_FILE: file, ACME_CA_FILE: '/ca.pem' }, [
      'JWT_SECRET',
      'ACME_CA_FILE',
    ]);
    expect(problems).toEqual([]);
    expect(env.JWT_SECRET).toBe('a-secret-with-a-line-break');
    expect(env.JWT_SECRET_FILE).toBeUndefined();
    // Not a known name: left alone (ACME_CA_FILE is a variable of its own, not a secret file of ACME_CA).
    expect(env.OTHER_FILE).toBe(file);
    expect(env.ACME_CA_FILE).toBe('/ca.pem');
  });

  it('refuses both forms at once, and a file it cannot read, naming the variable', () => {
    const both = resolveSecretFiles({ JWT_SECRET: 'x', JWT_SECRET_FILE: file }, ['JWT_SECRET']);
    expect(both.problems).toEqual(['JWT_SECRET: set both JWT_SECRET and JWT_SECRET_FILE; keep one']);
    const missing = resolveSecretFiles({ ENCRYPTION_KEY_FILE: join(dir, 'nope') }, ['ENCRYPTION_KEY']);
    expect(missing.problems[0]).toMatch(/^ENCRYPTION_KEY_FILE: cannot read .*nope \(ENOENT\)$/);
    expect(missing.env.ENCRYPTION_KEY).toBeUndefined();
  });
});
