import type { Config } from '../config/config.js';
import { slotPorts } from './instance-names.js';
import type { InstanceRow } from './instances.repo.js';

/** Polls Odoo's health endpoint (Odoo 17+: GET /web/health → 200) on the instance's published port. */
export async function waitForOdoo(
  config: Config,
  instance: InstanceRow,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const { http } = slotPorts(config.instancePortBase, instance.slot);
  const deadline = Date.now() + timeoutMs;
  let reason = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${http}/web/health`, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) return { ok: true };
      reason = `HTTP ${res.status}`;
    } catch (err) {
      reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, reason: `no healthy answer within ${Math.round(timeoutMs / 1000)} s (last: ${reason})` };
}
