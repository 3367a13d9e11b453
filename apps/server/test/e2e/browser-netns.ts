import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Chromium drops its connections with ERR_NETWORK_CHANGED when an address appears or goes on the
 * machine, as Docker's bridges do each time another test makes or removes an instance network (a CI
 * run lost the admin console's script that way: a blank page). So the browser runs in a network
 * namespace of its own, which sees none of that. Its loopback traffic (every stack listens on
 * 127.0.0.1, and Chromium resolves *.localhost there) goes over a veth pair and lands on the host's
 * 127.0.0.1; nothing else is routed out of the namespace.
 */
const run = promisify(execFile);
const PREFIX = 'saase2e';
const TAG = (pid: number) => `saas-e2e-browser-${pid}`;

interface Names {
  ns: string;
  hostIf: string;
  nsIf: string;
  hostIp: string;
  nsIp: string;
}

function namesFor(pid: number): Names {
  // A /30 of 10.252.0.0/14 per process id: two test processes never share one.
  const block = (10 << 24) + (252 << 16) + (pid % 2 ** 20) * 4;
  const ip = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  return { ns: `${PREFIX}${pid}`, hostIf: `se${pid}h`, nsIf: `se${pid}n`, hostIp: ip(block + 1), nsIp: ip(block + 2) };
}

/** The host's rule that hands the namespace's traffic to 127.0.0.1 (same port). */
function hostRule(n: Names, pid: number): string[] {
  return ['PREROUTING', '-i', n.hostIf, '-p', 'tcp', '-m', 'comment', '--comment', TAG(pid), '-j', 'DNAT', '--to-destination', '127.0.0.1'];
}

function removeSync(pid: number): void {
  const n = namesFor(pid);
  const quiet = { stdio: 'ignore' as const };
  try {
    execFileSync('iptables', ['-w', '-t', 'nat', '-D', ...hostRule(n, pid)], quiet);
  } catch {}
  try {
    // The veth pair goes with the namespace.
    execFileSync('ip', ['netns', 'del', n.ns], quiet);
  } catch {}
}

/**
 * Removes the namespaces of test processes that are gone: vitest ends its workers without an `exit`
 * event, so the e2e run's global teardown calls this (and each new namespace's set-up does too).
 */
export async function removeDeadBrowserNamespaces(graceMs = 0): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'list']);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const line of stdout.split('\n')) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)\\b`).exec(line)?.[1]);
    if (!pid || pid === process.pid) continue;
    // At the end of a run the workers are still on their way out.
    for (const deadline = Date.now() + graceMs; alive(pid) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
    if (!alive(pid)) removeSync(pid);
  }
}

async function create(chromium: string): Promise<BrowserNamespace> {
  const pid = process.pid;
  const n = namesFor(pid);
  await removeDeadBrowserNamespaces();
  removeSync(pid);
  const inNs = (...args: string[]) => run('nsenter', [`--net=/run/netns/${n.ns}`, '--', ...args]);
  try {
    await run('ip', ['netns', 'add', n.ns]);
    await run('ip', ['link', 'add', n.hostIf, 'type', 'veth', 'peer', 'name', n.nsIf, 'netns', n.ns]);
    await run('ip', ['addr', 'add', `${n.hostIp}/30`, 'dev', n.hostIf]);
    await run('ip', ['link', 'set', n.hostIf, 'up']);
    await run('sysctl', ['-qw', `net.ipv4.conf.${n.hostIf}.route_localnet=1`]);
    await run('iptables', ['-w', '-t', 'nat', '-I', ...hostRule(n, pid).slice(0, 1), '1', ...hostRule(n, pid).slice(1)]);

    await inNs('ip', 'link', 'set', 'lo', 'up');
    await inNs('ip', 'addr', 'add', `${n.nsIp}/30`, 'dev', n.nsIf);
    await inNs('ip', 'link', 'set', n.nsIf, 'up');
    // IPv4 only: Chromium then tries 127.0.0.1 for localhost names, never a ::1 that leads nowhere.
    await inNs(
      'sysctl',
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
      'net.ipv6.conf.lo.disable_ipv6=1',
    );
    // Loopback connections leave by the veth (route_localnet lets 127.0.0.1 sources through), from the
    // namespace's own address.
    await inNs('sysctl', '-qw', 'net.ipv4.conf.all.route_localnet=1', `net.ipv4.conf.${n.nsIf}.route_localnet=1`);
    await inNs('iptables', '-w', '-t', 'nat', '-A', 'OUTPUT', '-d', '127.0.0.0/8', '-p', 'tcp', '-j', 'DNAT', '--to-destination', n.hostIp);
    await inNs('iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-o', n.nsIf, '-j', 'SNAT', '--to-source', n.nsIp);
    // And the other way: the test process reaches what the browser listens on (its DevTools port, on
    // the namespace's 127.0.0.1) at the namespace's address.
    await inNs('iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', '-i', n.nsIf, '-p', 'tcp', '-j', 'DNAT', '--to-destination', '127.0.0.1');
  } catch (err) {
    removeSync(pid);
    throw err;
  }
  // A worker that ends cleanly removes its own; the others go at the run's global teardown.
  process.once('exit', () => removeSync(pid));
  const dir = mkdtempSync(join(tmpdir(), 'saas-e2e-browser-'));
  const wrapper = join(dir, 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --net=/run/netns/${n.ns} -- ${chromium} "$@"\n`, { mode: 0o755 });
  return { executable: wrapper, address: n.nsIp };
}

export interface BrowserNamespace {
  /** A launcher that runs Chromium in the namespace. */
  executable: string;
  /** The namespace's address: where the test process reaches what the browser itself listens on (DevTools). */
  address: string;
}

let created: Promise<BrowserNamespace> | undefined;

/** This process's browser namespace (made once), and a launcher that runs `chromium` (an absolute path) in it. */
export function chromiumInNamespace(chromium: string): Promise<BrowserNamespace> {
  if (!/^\/[\w./-]+$/.test(chromium)) throw new Error(`unexpected Chromium path ${chromium}`);
  created ??= create(chromium);
  return created;
}
