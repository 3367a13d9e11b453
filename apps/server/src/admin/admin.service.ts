import type { PlatformRole } from '../auth/auth.schemas.js';
import { SessionsRepository } from '../auth/sessions.repo.js';
import { UsersRepository } from '../auth/users.repo.js';
import { CertificatesRepository } from '../certificates/certificates.repo.js';
import type { Db } from '../db/client.js';
import { conflict, notFound } from '../errors/domain-error.js';
import { type InstanceStatus, InstancesRepository, ReconcileRunsRepository } from '../instances/instances.repo.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';

interface Page {
  limit: number;
  offset: number;
}

/** What operators see and change across tenants: users, tenants, instances, the reconciler's runs and certificates. */
export class AdminService {
  constructor(private readonly db: Db) {}

  async overview() {
    const [users, tenants] = await Promise.all([
      new UsersRepository(this.db).list({ limit: 1, offset: 0 }),
      new TenantsRepository(this.db).count(),
    ]);
    return { users: users.total, tenants };
  }

  users(query: Page & { q?: string | undefined }) {
    return new UsersRepository(this.db).list(query);
  }

  /** Disables or enables a user, or changes their platform role; disabling ends their sessions in the same transaction. */
  async updateUser(
    actorId: string,
    userId: string,
    change: { disabled?: boolean | undefined; platformRole?: PlatformRole | null | undefined },
  ) {
    const { disabled, platformRole } = change;
    if (userId === actorId && (disabled || platformRole !== undefined)) {
      throw conflict('cannot_change_self', 'You cannot disable yourself or change your own platform role.');
    }
    return this.db.transaction(async (tx) => {
      const updated = await new UsersRepository(tx).update(userId, {
        ...(disabled === undefined ? {} : { disabledAt: disabled ? new Date() : null }),
        ...(platformRole === undefined ? {} : { platformRole }),
      });
      if (!updated) throw notFound('User');
      if (disabled) await new SessionsRepository(tx).revokeAllForUser(userId, 'disabled_by_admin');
      return updated;
    });
  }

  tenants(query: Page & { q?: string | undefined }) {
    return new TenantsRepository(this.db).list(query);
  }

  instances(query: Page & { status?: InstanceStatus | undefined }) {
    return new InstancesRepository(this.db).listAll(query);
  }

  reconcileRuns(query: Page) {
    return new ReconcileRunsRepository(this.db).list(query);
  }

  /** The platform's and custom domains' certificates, soonest expiry first. */
  certificates() {
    return new CertificatesRepository(this.db).list();
  }
}
