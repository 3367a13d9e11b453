import { and, eq, sql } from 'drizzle-orm';
import { users } from '../auth/auth.tables.js';
import type { Config } from '../config/config.js';
import type { DbOrTx } from '../db/client.js';
import { instances } from '../instances/instances.tables.js';
import type { MailMessage } from '../mail/mailer.js';
import { memberships, tenants } from '../tenants/tenants.tables.js';
import { billingMail } from './billing-mail.js';

export type QueueMail = (message: MailMessage) => Promise<void>;
export type MailBuilder = (to: string, tenantName: string, billingLink: string) => MailMessage;

/** Queues a mail to the tenant's owner, in the transaction of the change it is about. */
export async function mailOwners(
  tx: DbOrTx,
  queueMail: QueueMail,
  config: Pick<Config, 'publicUrl'>,
  tenantId: string,
  build: MailBuilder,
) {
  const owners = await tx
    .select({ email: users.email, tenant: tenants.name })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(and(eq(memberships.tenantId, tenantId), eq(memberships.role, 'owner')));
  for (const owner of owners) await queueMail(build(owner.email, owner.tenant, `${config.publicUrl}/billing`));
}

/**
 * The slugs of the tenant's running instances whose Odoo worker count differs from `workers`: those restart
 * when the plan changes (the worker's update-limits job announces and does each restart).
 */
export async function restartingForWorkers(db: DbOrTx, tenantId: string, workers: number): Promise<string[]> {
  const rows = await db
    .select({ slug: instances.slug })
    .from(instances)
    .where(
      and(
        eq(instances.tenantId, tenantId),
        eq(instances.status, 'running'),
        eq(instances.desiredState, 'running'),
        eq(instances.suspended, false),
        sql`(${instances.limits}->>'workers')::int <> ${workers}`,
      ),
    );
  return rows.map((r) => r.slug);
}

/**
 * Tells the owner the tenant is on a new plan, naming the instances that restart for its worker count.
 * Call it before the new limits are copied onto the instances, whoever changes the plan.
 */
export async function mailPlanChange(
  tx: DbOrTx,
  queueMail: QueueMail,
  config: Pick<Config, 'publicUrl'>,
  tenantId: string,
  plan: { name: string; workers: number },
) {
  const restarting = await restartingForWorkers(tx, tenantId, plan.workers);
  await mailOwners(tx, queueMail, config, tenantId, (to, name, link) => billingMail.planChanged(to, name, plan.name, restarting, link));
}
