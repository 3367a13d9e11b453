import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * nginx's master runs as root and its workers as an unprivileged user (`user` directive). The
 * master reads the config, certificates and keys and opens the logs; the workers read only what
 * they serve: the SPAs and the ACME webroot. This says, before nginx shows a bare 403, which of
 * those the worker user cannot reach and how to fix it. Synchronous: a few stat calls, made when
 * the edge settings are built and after each render, never on a request.
 */

interface Account {
  uid: number;
  gid: number;
}

/** uid and primary gid of `user` from /etc/passwd; null when there is no such account. */
export function lookupAccount(user: string, passwdFile = '/etc/passwd'): Account | null {
  let text = '';
  try {
    text = readFileSync(passwdFile, 'utf8');
  } catch {
    // No passwd file: no such account.
  }
  for (const line of text.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

/** Whether the account has permission `bit` (4 read, 1 search) by mode; supplementary groups are ignored. */
function allows(mode: number, owner: { uid: number; gid: number }, account: Account, bit: number): boolean {
  if (owner.uid === account.uid) return (mode & (bit << 6)) !== 0;
  if (owner.gid === account.gid) return (mode & (bit << 3)) !== 0;
  return (mode & bit) !== 0;
}

/** One line per directory `user` cannot list or reach (every parent needs search permission). */
export function workerAccessProblems(user: string, dirs: string[]): string[] {
  const account = lookupAccount(user);
  if (!account) return [`the nginx worker user "${user}" does not exist (EDGE_WORKER_USER)`];
  const problems: string[] = [];
  for (const dir of dirs) {
    const info = statSync(dir, { throwIfNoEntry: false });
    if (!info) continue; // not built yet: nginx answers 404, which says enough
    if (!allows(info.mode, info, account, 4) || !allows(info.mode, info, account, 1)) {
      problems.push(`${user} cannot read ${dir} (chmod o+rx "${dir}")`);
      continue;
    }
    for (let parent = dirname(dir); ; parent = dirname(parent)) {
      const p = statSync(parent);
      if (!allows(p.mode, p, account, 1)) {
        problems.push(`${user} cannot reach ${dir}: ${parent} is not searchable (chmod o+x "${parent}", or move it)`);
        break;
      }
      if (parent === dirname(parent)) break;
    }
  }
  return problems;
}

/** Whether `user` can serve these directories: a checkout under /root (0700) cannot be served by an unprivileged worker. */
export const workerCanReach = (user: string, dirs: string[]) => workerAccessProblems(user, dirs).length === 0;
