import type { Db } from '../db/client.js';
import { notFound } from '../errors/domain-error.js';
import { enqueueInstanceJob } from '../instances/instance-jobs.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import type { Queues } from '../jobs/queues.js';
import { TenantsRepository } from '../tenants/tenants.repo.js';
import { PlansRepository } from './plans.repo.js';
import type { PlanLimits } from './plans.schemas.js';

/** Plans and which tenant is on which; a change reaches the live instances concerned at once. */
export class PlansService {
  private readonly plans: PlansRepository;

  constructor(private readonly deps: { db: Db; queues: Queues }) {
    this.plans = new PlansRepository(deps.db);
  }

  list() {
    return this.plans.list();
  }

  async put(code: string, values: PlanLimits) {
    const plan = await this.plans.upsert(code, values);
    await this.applyLimits({ planCode: code });
    return plan;
  }

  async setTenantPlan(tenantId: string, planCode: string) {
    const plan = await this.plans.find(planCode);
    if (!plan) throw notFound('Plan');
    const tenant = await new TenantsRepository(this.deps.db).setPlan(tenantId, plan.code);
    if (!tenant) throw notFound('Tenant');
    await this.applyLimits({ tenantId });
    return { tenantId: tenant.id, planCode: plan.code };
  }

  /** Copies plan limits onto the live instances concerned and asks the worker to apply them. */
  private async applyLimits(scope: { tenantId: string } | { planCode: string }) {
    const instances = new InstancesRepository(this.deps.db);
    for (const { id, plan } of await instances.liveWithPlan(scope)) {
      const { memoryMb, cpuMillis, pids, storageGb, workers } = plan;
      await instances.update(id, { limits: { memoryMb, cpuMillis, pids, storageGb, workers } });
      await enqueueInstanceJob(this.deps.queues, id, 'update-limits', null);
    }
  }
}
