import { access, isUuid } from '../http/access.js';
import type { TenantRole } from '../tenants/tenants.schemas.js';

/** Access to routes under /instances/:instanceId: the caller's role in the tenant that owns the instance. */
export function instanceAccess(instances: { tenantOf(id: string): Promise<string | null> }) {
  return (...roles: TenantRole[]) =>
    access.tenantOf(
      async (request) => {
        const id = (request.params as { instanceId?: unknown }).instanceId;
        return isUuid(id) ? instances.tenantOf(id) : null;
      },
      ...roles,
    );
}
