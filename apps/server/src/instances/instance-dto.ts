import type { Config } from '../config/config.js';
import type { InstanceRow } from './instances.repo.js';
import type { InstanceDto } from './instances.schemas.js';
import { instanceUrl } from './instances.service.js';

/**
 * The instance as clients see it: the one mapping behind the REST answers and every live update
 * (`GET /instances/{id}/events`), so the two can never disagree.
 */
export function toInstanceDto(config: Config, i: InstanceRow): InstanceDto {
  return {
    id: i.id,
    tenantId: i.tenantId,
    name: i.name,
    slug: i.slug,
    version: i.version,
    status: i.status,
    desiredState: i.desiredState,
    url: instanceUrl(config, i.slug),
    limits: i.limits,
    progress: i.progress ?? null,
    lastError: i.lastError,
    provisionPath: i.provisionPath ?? null,
    sourceBackupId: i.sourceBackupId,
    backupHour: i.backupHour,
    adminLogin: i.adminLogin,
    credentialsAvailable: Boolean(i.pendingAdminPassword) && (i.status === 'running' || i.status === 'stopped'),
    suspended: i.suspended,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
    readyAt: i.readyAt?.toISOString() ?? null,
  };
}
