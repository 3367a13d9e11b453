import { execFile } from 'node:child_process';
import type { EgressPolicy, EgressResult, EgressScope } from '../egress-policy.js';
import { type EgressRuleset, egressRules, egressScript, egressTable } from './nft-egress-rules.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Where `nft` runs: this machine's binary, or a short-lived container in a swarm node's network namespace
 * (swarm-egress-policy.ts). `load` runs a script as one transaction.
 */
export interface NftCommand {
  /** Names where it runs in errors: the command line's first words. */
  readonly label: string[];
  run(args: string[]): Promise<ExecResult>;
  load(script: string): Promise<ExecResult>;
}

/** The `nft` binary of this machine (the worker's host, or its network namespace in a container). */
export function localNft(file = 'nft'): NftCommand {
  return { label: [file], run: (args) => run(file, args), load: (script) => run(file, ['-f', '-'], script) };
}

/** A failed nft call, with what is needed to diagnose it. */
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
const NO_TABLE = /no such file or directory/i;

interface NftRule {
  chain: string;
  comment?: string;
}

/**
 * The egress policy as a nftables table of the platform's own, with base chains on the forward and
 * input hooks that run before iptables' (and so Docker's) filter table. Docker never touches the
 * table, so neither its restarts nor its rule churn open a gap; a reboot or a flushed ruleset does,
 * and the next apply puts the table back.
 */
export class NftEgressPolicy implements EgressPolicy {
  private readonly nft: NftCommand;

  constructor(
    private readonly scope: EgressScope | (() => Promise<EgressScope>),
    nft: string | NftCommand = 'nft',
  ) {
    this.nft = typeof nft === 'string' ? localNft(nft) : nft;
  }

  async apply(): Promise<EgressResult> {
    let rules: EgressRuleset;
    let current: NftRule[] | null;
    try {
      rules = egressRules(typeof this.scope === 'function' ? await this.scope() : this.scope);
      current = await this.listTable(rules.table);
    } catch (err) {
      return { applied: false, reason: unavailable(err) };
    }
    if (current && inPlace(current, rules)) return { applied: true, changed: false };
    this.check(['-f', '-'], await this.nft.load(egressScript(rules)));
    return { applied: true, changed: true };
  }

  async remove(): Promise<void> {
    const scope = typeof this.scope === 'function' ? await this.scope() : this.scope;
    const table = egressTable(scope.name);
    if ((await this.listTable(table)) === null) return;
    const args = ['delete', 'table', 'ip', table];
    this.check(args, await this.nft.run(args));
  }

  /** The table's rules (chain and comment), or null when it does not exist. */
  private async listTable(table: string): Promise<NftRule[] | null> {
    const args = ['-j', 'list', 'table', 'ip', table];
    const result = await this.nft.run(args);
    if (result.code !== 0) {
      if (NO_TABLE.test(result.stderr) && !NOT_PRIVILEGED.test(result.stderr)) return null;
      throw new FirewallError([...this.nft.label, ...args], result);
    }
    const parsed = JSON.parse(result.stdout) as { nftables?: { rule?: NftRule }[] };
    return (parsed.nftables ?? []).flatMap((item) => (item.rule ? [item.rule] : []));
  }

  private check(args: string[], result: ExecResult): void {
    if (result.code !== 0) throw new FirewallError([...this.nft.label, ...args], result);
  }
}

/** The table holds this exact ruleset: every chain has its rule count and, first, this fingerprint. */
function inPlace(current: NftRule[], rules: EgressRuleset): boolean {
  return (['forward', 'input'] as const).every((chain) => {
    const ours = current.filter((rule) => rule.chain === chain);
    return ours.length === rules.chains[chain].length && ours[0]?.comment === `egress policy ${rules.fingerprint}`;
  });
}

function unavailable(err: unknown): string {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'nft is not installed (Debian package nftables)';
  if (err instanceof FirewallError && NOT_PRIVILEGED.test(err.result.stderr)) return 'changing the firewall needs root (CAP_NET_ADMIN)';
  return err instanceof Error ? err.message : String(err);
}
