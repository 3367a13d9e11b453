import { UsersRepository } from '../auth/users.repo.js';
import { CertificatesRepository } from '../certificates/certificates.repo.js';
import type { Db } from '../db/client.js';
import { ReconcileRunsRepository } from '../instances/instances.repo.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';

interface Page {
  limit: number;
  offset: number;
}

/** Operators' platform-wide reads: the counts, the reconciler's runs and certificates (tenants and instances: admin-tenants/admin-instances). */
export class AdminService {
  constructor(private readonly db: Db) {}

  async overview() {
    const [users, tenants] = await Promise.all([
      new UsersRepository(this.db).list({ limit: 1, offset: 0 }),
      new TenantsRepository(this.db).count(),
    ]);
    return { users: users.total, tenants };
  }

  reconcileRuns(query: Page) {
    return new ReconcileRunsRepository(this.db).list(query);
  }

  /** The platform's and custom domains' certificates, soonest expiry first. */
  certificates() {
    return new CertificatesRepository(this.db).list();
  }
}
