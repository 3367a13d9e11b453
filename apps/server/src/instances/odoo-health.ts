import type { Config } from '../config/config.js';
import type { InstanceRuntime } from '../runtime/instance-runtime.js';
import { instanceNames, slotPorts, upstreamHost } from './instance-names.js';
import type { InstanceRow } from './instances.repo.js';
import { isPrefork } from './odoo-config.js';

export type OdooHealth = { ok: true } | { ok: false; reason: string; logs: string };

const POLL_MS = 50;
const CONTAINER_CHECK_MS = 500;
const LOG_CHECK_MS = 1_500;
const LOG_TAIL = 200;
/** Lines Odoo's prefork master writes when a worker dies before serving: one or two are normal, a stream is a crash loop. */
const WORKER_DEATH = /Worker \(\d+\) (virtual memory limit \(\d+\) reached|exiting)|Gevent virtual memory limit reached/g;
const CRASH_LOOP_DEATHS = 6;

/** 'ok' when the URL answers 200, else why not. */
async function probe(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200 ? 'ok' : `${new URL(url).pathname}: HTTP ${res.status}`;
  } catch (err) {
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return `${new URL(url).pathname}: ${cause}`;
  }
}

/** The last lines Odoo printed (what the tenant and the operator see when it cannot start). */
export async function odooLogTail(runtime: InstanceRuntime, container: string, lines = 30): Promise<string> {
  try {
    const stream = await runtime.logs(container, { tail: lines, follow: false });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8').trim().slice(-4000);
  } catch {
    return '';
  }
}

/** Why Odoo can never become healthy, read from its own log; null when nothing says so. */
export function odooCrashLoop(log: string): string | null {
  const deaths = log.match(WORKER_DEATH)?.length ?? 0;
  return deaths >= CRASH_LOOP_DEATHS ? `Odoo's workers die as they start (${deaths} times in its last ${LOG_TAIL} log lines)` : null;
}

/**
 * Waits until Odoo's health endpoint (Odoo 17+: GET /web/health → 200) answers on the instance's published
 * port — and with workers also the gevent process's `/websocket/health` — polling tightly. It gives up
 * within seconds, with Odoo's own last log lines, when Odoo can never answer: the container exited or restarts (a configuration error, a crash at start-up), or its workers die
 * as fast as the master spawns them (e.g. memory limits below what a fresh worker needs). `signal` stops
 * the wait (the instance is being deleted).
 */
export async function waitForOdoo(
  deps: { config: Config; runtime: InstanceRuntime },
  instance: InstanceRow,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<OdooHealth> {
  const ports = slotPorts(deps.config.instancePortBase, instance.slot);
  // With workers, the gevent process (the websocket) starts after the HTTP workers: both must answer.
  const host = upstreamHost(instance);
  const probes = [`http://${host}:${ports.http}/web/health`];
  if (isPrefork(instance.limits)) probes.push(`http://${host}:${ports.gevent}/websocket/health`);
  const { container } = instanceNames(deps.config.resourcePrefix, instance.id);
  const deadline = Date.now() + options.timeoutMs;
  const failed = async (reason: string): Promise<OdooHealth> => ({
    ok: false,
    reason,
    logs: await odooLogTail(deps.runtime, container),
  });
  let reason = 'no answer';
  // Restarts counted before the wait (an old crash of a long-lived container) are not this start's.
  let restartsBefore: number | undefined;
  let nextContainerCheck = 0;
  let nextLogCheck = Date.now() + LOG_CHECK_MS;
  while (Date.now() < deadline) {
    if (options.signal?.aborted) return { ok: false, reason: 'cancelled', logs: '' };
    const answers = await Promise.all(probes.map(probe));
    const failing = answers.find((a) => a !== 'ok');
    if (!failing) return { ok: true };
    reason = failing;
    const now = Date.now();
    if (now >= nextContainerCheck) {
      nextContainerCheck = now + CONTAINER_CHECK_MS;
      const info = await deps.runtime.inspectContainer(container);
      if (!info) return failed('the Odoo container is gone');
      if (info.state === 'exited' || info.state === 'dead') return failed(`Odoo exited with code ${info.exitCode ?? 'unknown'}`);
      restartsBefore ??= info.restartCount;
      // Caught between two runs, the exit code is known; running again, the engine has reset it. The engine
      // waits longer before each restart (100 ms, doubling), so a loop is soon caught between two runs; if not
      // after a few restarts, it is a crash loop all the same, code unknown.
      if (info.state === 'restarting') return failed(`Odoo exited (code ${info.exitCode}) and is being restarted over and over`);
      if (info.restartCount > restartsBefore + 3) return failed('Odoo keeps exiting and is being restarted over and over');
    }
    if (now >= nextLogCheck) {
      nextLogCheck = now + LOG_CHECK_MS;
      const loop = odooCrashLoop(await odooLogTail(deps.runtime, container, LOG_TAIL));
      if (loop) return failed(loop);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return failed(`no healthy answer within ${Math.round(options.timeoutMs / 1000)} s (last: ${reason})`);
}

/** The error a tenant and an operator see when Odoo does not come up: the cause, then Odoo's own words. */
export function healthFailureText(prefix: string, health: Exclude<OdooHealth, { ok: true }>): string {
  return `${prefix}: ${health.reason}${health.logs ? `\nOdoo's last log lines:\n${health.logs}` : ''}`;
}
