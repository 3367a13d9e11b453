import type { Db } from '../db/client.js';
import { access, isUuid, type TenantRole } from '../http/access.js';
import { InstancesRepository } from './instances.repo.js';

/** Access to routes under /instances/:instanceId: the caller's role in the tenant that owns the instance. */
export function instanceAccess(db: Db) {
  const repo = new InstancesRepository(db);
  return (...roles: TenantRole[]) =>
    access.tenantOf(
      async (request) => {
        const id = (request.params as { instanceId?: unknown }).instanceId;
        return isUuid(id) ? repo.tenantOf(id) : null;
      },
      ...roles,
    );
}
