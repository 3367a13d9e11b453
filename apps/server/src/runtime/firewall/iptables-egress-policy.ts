import { execFile } from 'node:child_process';
import type { EgressPolicy, EgressResult, EgressScope } from '../egress-policy.js';
import { DOCKER_USER, egressChains, egressJumps, egressRules, ruleWords } from './iptables-egress-rules.js';

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A failed iptables call, with what is needed to diagnose it. */
export class FirewallError extends Error {
  constructor(
    readonly command: string[],
    readonly result: ExecResult,
  ) {
    super(`${command.join(' ')} exited ${result.code}: ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'FirewallError';
  }
}

/** Runs a command from an argument list (never a shell), optionally feeding it stdin. */
function run(file: string, args: string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 20_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? Number(error.code) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    // A command that exits without reading its input reports through its exit code, not EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

const NOT_PRIVILEGED = /permission denied|must be root|operation not permitted/i;

export interface IptablesEgressOptions {
  iptables?: string;
  iptablesRestore?: string;
}

/**
 * The egress policy as iptables rules (either backend, legacy or nf_tables): two chains of our own,
 * rewritten atomically by one `iptables-restore --noflush` batch together with their hooks, so a
 * repeated apply changes nothing and a half-applied state is never visible.
 */
export class IptablesEgressPolicy implements EgressPolicy {
  private readonly iptables: string;
  private readonly restore: string;

  constructor(
    private readonly scope: EgressScope | (() => Promise<EgressScope>),
    options: IptablesEgressOptions = {},
  ) {
    this.iptables = options.iptables ?? 'iptables';
    this.restore = options.iptablesRestore ?? 'iptables-restore';
  }

  async apply(): Promise<EgressResult> {
    let scope: EgressScope;
    let parents: Map<string, string[] | null>;
    try {
      scope = typeof this.scope === 'function' ? await this.scope() : this.scope;
      parents = new Map([
        [DOCKER_USER, await this.listChain(DOCKER_USER)],
        ['INPUT', await this.listChain('INPUT')],
      ]);
    } catch (err) {
      return { applied: false, reason: unavailable(err) };
    }
    if (!parents.get(DOCKER_USER)) {
      return {
        applied: false,
        reason: `iptables has no ${DOCKER_USER} chain: dockerd runs without its iptables rules (or is not started)`,
      };
    }
    const chains = egressChains(scope.name);
    const rules = egressRules(scope);
    const existing = await Promise.all([this.listChain(chains.forward), this.listChain(chains.input)]);
    let changed = existing.some((lines) => lines === null);
    const batch = ['*filter', `:${chains.forward} - [0:0]`, `:${chains.input} - [0:0]`];
    for (const rule of rules.forward) batch.push(['-A', chains.forward, ...rule].join(' '));
    for (const rule of rules.input) batch.push(['-A', chains.input, ...rule].join(' '));
    for (const { parent, rule } of egressJumps(scope)) {
      const target = rule[rule.length - 1] as string;
      const wanted = ['-A', parent, ...rule].join(' ');
      let kept = false;
      for (const line of parents.get(parent) ?? []) {
        const words = ruleWords(line);
        if (words[0] !== '-A' || words[words.length - 1] !== target || words[words.length - 2] !== '-j') continue;
        // The hook as it should be stays; a duplicate or one for an older pool goes.
        if (!kept && words.join(' ') === wanted) kept = true;
        else {
          batch.push(['-D', ...words.slice(1)].join(' '));
          changed = true;
        }
      }
      if (!kept) {
        // First: an ACCEPT the admin added to the parent chain must not let the pool around the policy.
        batch.push(['-I', parent, '1', ...rule].join(' '));
        changed = true;
      }
    }
    batch.push('COMMIT', '');
    await this.exec(this.restore, ['-w', '--noflush'], batch.join('\n'));
    return { applied: true, changed };
  }

  async remove(): Promise<void> {
    const scope = typeof this.scope === 'function' ? await this.scope() : this.scope;
    const chains = egressChains(scope.name);
    for (const parent of [DOCKER_USER, 'INPUT']) {
      for (const line of (await this.listChain(parent)) ?? []) {
        const words = ruleWords(line);
        const target = words[words.length - 1];
        if (words[0] === '-A' && (target === chains.forward || target === chains.input)) {
          await this.exec(this.iptables, ['-w', '-D', ...words.slice(1)]);
        }
      }
    }
    for (const chain of [chains.forward, chains.input]) {
      if ((await this.listChain(chain)) === null) continue;
      await this.exec(this.iptables, ['-w', '-F', chain]);
      await this.exec(this.iptables, ['-w', '-X', chain]);
    }
  }

  /** The chain's rules as `iptables -S` prints them, or null when the chain does not exist. */
  private async listChain(chain: string): Promise<string[] | null> {
    const args = ['-w', '-S', chain];
    const result = await run(this.iptables, args);
    if (result.code === 0) return result.stdout.split('\n').filter((line) => line.startsWith('-A '));
    // iptables says "No chain/target/match by that name" (legacy) or "... is incompatible" (nf_tables) for a missing chain.
    if (result.code === 1 && !NOT_PRIVILEGED.test(result.stderr)) return null;
    throw new FirewallError([this.iptables, ...args], result);
  }

  private async exec(file: string, args: string[], input?: string): Promise<void> {
    const result = await run(file, args, input);
    if (result.code !== 0) throw new FirewallError([file, ...args], result);
  }
}

function unavailable(err: unknown): string {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'iptables is not installed';
  if (err instanceof FirewallError && NOT_PRIVILEGED.test(err.result.stderr)) return 'changing the firewall needs root (CAP_NET_ADMIN)';
  return err instanceof Error ? err.message : String(err);
}
