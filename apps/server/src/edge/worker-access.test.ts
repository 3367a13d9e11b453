import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupAccount, workerAccessProblems, workerCanReach } from './worker-access.js';

let base: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'worker-access-'));
  await chmod(base, 0o755);
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('what nginx workers can reach', () => {
  it('finds the account, and reports an unknown one', async () => {
    expect(await lookupAccount('root')).toEqual({ uid: 0, gid: 0 });
    expect(await workerAccessProblems('no-such-user-x', [base])).toEqual([
      'the nginx worker user "no-such-user-x" does not exist (EDGE_WORKER_USER)',
    ]);
  });

  it.runIf(process.getuid?.() === 0)('names an unreadable directory and a parent that is not searchable', async () => {
    const open = join(base, 'open', 'dist');
    const closedParent = join(base, 'private', 'dist');
    const unreadable = join(base, 'unreadable');
    for (const d of [open, closedParent, unreadable]) await mkdir(d, { recursive: true });
    await chmod(join(base, 'private'), 0o700);
    await chmod(unreadable, 0o711);
    const problems = await workerAccessProblems('www-data', [open, closedParent, unreadable, join(base, 'not-built')]);
    expect(problems).toEqual([
      `www-data cannot reach ${closedParent}: ${join(base, 'private')} is not searchable (chmod o+x "${join(base, 'private')}", or move it)`,
      `www-data cannot read ${unreadable} (chmod o+rx "${unreadable}")`,
    ]);
  });

  it.runIf(process.getuid?.() === 0)(
    'tells at start-up whether the worker user can serve a checkout (not under a 0700 parent)',
    async () => {
      const open = join(base, 'reach-open', 'dist');
      const hidden = join(base, 'reach-hidden', 'dist');
      for (const d of [open, hidden]) await mkdir(d, { recursive: true });
      await chmod(join(base, 'reach-hidden'), 0o700);
      expect(workerCanReach('www-data', [open, join(base, 'not-built-yet')])).toBe(true);
      expect(workerCanReach('www-data', [open, hidden])).toBe(false);
      expect(workerCanReach('no-such-user-x', [open])).toBe(false);
    },
  );
});
