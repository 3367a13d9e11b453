import Docker from 'dockerode';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { WebSocket } from 'ws';
import { instanceNames } from '../../src/instances/instance-names.js';
import type { Harness, TestUser } from '../harness.js';
import { call } from '../harness.js';
import { request, type SimpleResponse } from '../support/nginx.js';

/** Helpers of the real-Odoo suite: what a tenant's browser and scripts do with their Odoo, through the edge. */

/** A plan of the suite's own (the starter plan stays as it is), and the tenant moved onto it. */
export async function usePlan(h: Harness, owner: TestUser, plan: { code: string; memoryMb: number; workers: number; pids?: number }) {
  await h.platform.db.execute(
    sql`insert into plans (code, name, max_instances, memory_mb, cpu_millis, pids, storage_gb, workers)
        values (${plan.code}, ${plan.code}, 20, ${plan.memoryMb}, 1000, ${plan.pids ?? 512}, 5, ${plan.workers})
        on conflict (code) do update set memory_mb = excluded.memory_mb, workers = excluded.workers, pids = excluded.pids`,
  );
  await h.platform.db.execute(sql`update tenants set plan_code = ${plan.code} where id = ${owner.tenantId}`);
}

/** The asset bundles (`/web/assets/...`) a page links to. */
export function assetUrls(html: string): string[] {
  return [...new Set([...html.matchAll(/(?:href|src)="(\/web\/assets\/[^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&')))];
}

/** GET through the edge, as a browser at `host` would; as long as a JSON-RPC call (a fresh Odoo builds its asset bundles on their first request). */
export const viaEdge = (port: number, host: string, path: string): Promise<SimpleResponse> =>
  request(port, host, path, { timeoutMs: 30_000 });

/** JSON-RPC through the edge (Odoo's `/web/session/authenticate`, `/jsonrpc`...). */
export async function rpcViaEdge(port: number, host: string, path: string, params: unknown, cookie?: string) {
  const res = await request(port, host, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params }),
    timeoutMs: 30_000,
  });
  let body: { result?: Record<string, unknown>; error?: { message: string; data?: { name?: string; message?: string } } } = {};
  try {
    body = JSON.parse(res.body);
  } catch {
    // Not JSON (the edge's own page): the status says what happened.
  }
  const setCookie = [res.headers['set-cookie'] ?? []].flat();
  return { status: res.status, ...body, setCookie, text: res.body };
}

/** Opens Odoo's bus websocket through the edge; resolves with the status of the upgrade answer. */
export function websocketStatus(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/websocket?version=18`, { headers: { host, origin: `http://${host}` } });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('no answer to the websocket upgrade within 20 s'));
    }, 20_000);
    const done = (status: number) => {
      clearTimeout(timer);
      resolve(status);
      socket.terminate();
    };
    socket.on('upgrade', (res) => done(res.statusCode ?? 0));
    socket.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export const docker = () => new Docker({ socketPath: '/var/run/docker.sock' });

/** Odoo's processes in the instance's container, read from /proc by the image's own Python: pid, VmSize and command line. */
export async function odooProcesses(h: Harness, instanceId: string) {
  const { container } = instanceNames(h.platform.config.resourcePrefix, instanceId);
  const script = [
    'import os, json',
    'out = []',
    'for p in filter(str.isdigit, os.listdir("/proc")):',
    '    try:',
    '        cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\\0", b" ").decode().strip()',
    '        vm = [l.split()[1] for l in open(f"/proc/{p}/status") if l.startswith(("VmSize", "VmRSS"))]',
    '    except OSError:',
    '        continue',
    '    if "odoo" in cmd and "python3 -c" not in cmd:',
    '        out.append({"pid": int(p), "cmd": cmd, "vmsKb": int(vm[0]) if vm else 0, "rssKb": int(vm[1]) if len(vm) > 1 else 0})',
    'print(json.dumps(out))',
  ].join('\n');
  const result = await h.platform.runtime.exec(container, ['python3', '-c', script]);
  expect(result.exitCode, result.output).toBe(0);
  return JSON.parse(result.output.trim().split('\n').at(-1) ?? '[]') as { pid: number; cmd: string; vmsKb: number; rssKb: number }[];
}

/** Reveals the one-time initial admin password, as the owner does in the web app. */
export async function revealCredentials(h: Harness, owner: TestUser, instanceId: string) {
  const res = await call(h.app, 'POST', `/api/v1/instances/${instanceId}/credentials`, { client: owner });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { login: string; password: string; url: string };
}
