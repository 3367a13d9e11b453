import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { notFound } from '../errors/domain-error.js';
import { toInstanceDto } from '../instances/instance-dto.js';
import type { InstancesService } from '../instances/instances.service.js';
import { AdminInstancesRepository, type InstanceListQuery } from './admin-instances.repo.js';

export type AdminInstanceAction = 'start' | 'stop' | 'restart' | 'retry' | 'delete';

/** The most log text an operator's page gets at once. */
const MAX_LOG_BYTES = 512 * 1024;

/**
 * Values that look like credentials in a log line (`password=…`, `"token": "…"`, a URL's user:password@)
 * are masked: operators read logs to diagnose, never to learn a tenant's secrets.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/((?:pass(?:word|wd)?|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, '$1[redacted]')
    .replace(/(\/\/[^:/\s@]+:)[^@/\s]+@/g, '$1[redacted]@');
}

/** Operators' view of every tenant's instances and their actions on one (the tenant API's operations, audited). */
export class AdminInstancesService {
  constructor(private readonly deps: { db: Db; config: Config; instances: InstancesService }) {}

  private get repo() {
    return new AdminInstancesRepository(this.deps.db);
  }

  async list(query: InstanceListQuery) {
    const { rows, total } = await this.repo.list(query);
    return {
      items: rows.map((r) => ({ ...toInstanceDto(this.deps.config, r.instance), tenantName: r.tenantName })),
      total,
    };
  }

  async get(id: string) {
    const row = await this.repo.find(id);
    if (!row) throw notFound('Instance');
    return { ...toInstanceDto(this.deps.config, row.instance), tenantName: row.tenantName };
  }

  async history(id: string) {
    await this.get(id);
    return (await this.deps.instances.history(id)).map((e) => ({
      fromStatus: e.fromStatus,
      toStatus: e.toStatus,
      reason: e.reason,
      actorId: e.actorId,
      at: e.at.toISOString(),
    }));
  }

  async findings(id: string) {
    await this.get(id);
    return this.repo.findings(id, 50);
  }

  /** The last `tail` lines of Odoo's log, secrets masked. */
  async logs(id: string, tail: number) {
    const stream = await this.deps.instances.logs(id, { tail, follow: false });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buf);
      size += buf.length;
      if (size > MAX_LOG_BYTES) {
        truncated = true;
        stream.destroy();
        break;
      }
    }
    // Keep the end: the newest lines are what an operator looks for.
    const text = Buffer.concat(chunks).toString('utf8');
    return { text: redactSecrets(truncated ? text.slice(-MAX_LOG_BYTES) : text), truncated };
  }

  async act(id: string, action: AdminInstanceAction, actor: AuthenticatedUser) {
    const { instances } = this.deps;
    switch (action) {
      case 'start':
        return instances.setDesiredState(id, actor, 'running');
      case 'stop':
        return instances.setDesiredState(id, actor, 'stopped');
      case 'restart':
        return instances.restart(id, actor);
      case 'retry':
        return instances.retryProvisioning(id, actor);
      case 'delete':
        return instances.delete(id, actor);
    }
  }
}
