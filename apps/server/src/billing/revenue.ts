import { and, count, desc, eq, isNotNull, ne, type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { tenants } from '../tenants/tenants.tables.js';
import type { adminInvoiceSchema, adminSubscriptionSchema, revenuePointSchema } from './billing.schemas.js';
import { billingAccounts, type INVOICE_STATUSES, invoices, type SubscriptionStatus } from './billing.tables.js';
import { monthlyAmount } from './billing-accounts.repo.js';
import { planPrices } from './plans.tables.js';

type AdminSubscription = z.infer<typeof adminSubscriptionSchema>;
type AdminInvoice = z.infer<typeof adminInvoiceSchema>;
type RevenuePoint = z.infer<typeof revenuePointSchema>;

/** Statuses that bring revenue: Stripe keeps charging a past-due subscription until it gives up. */
const PAYING: SubscriptionStatus[] = ['active', 'past_due'];
/** A paying tenant moving to one of these has churned. */
const ENDED: SubscriptionStatus[] = ['canceled', 'unpaid'];
/** Churn rate: churned over this many days, over the paying subscriptions this many days before. */
const CHURN_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/** The admin's billing reports: subscriptions by state, failed payments, MRR/ARR and churn over time. */
export class BillingReports {
  constructor(private readonly deps: { db: Db; config: Config }) {}

  async subscriptions(query: { status?: SubscriptionStatus | undefined; limit: number; offset: number }) {
    const { db, config } = this.deps;
    const where = query.status ? eq(billingAccounts.status, query.status) : undefined;
    const [rows, [total]] = await Promise.all([
      db
        .select({ account: billingAccounts, tenantName: tenants.name, planCode: tenants.planCode, price: planPrices })
        .from(billingAccounts)
        .innerJoin(tenants, eq(tenants.id, billingAccounts.tenantId))
        .leftJoin(planPrices, eq(planPrices.id, billingAccounts.priceId))
        .where(where)
        .orderBy(desc(billingAccounts.statusSince), billingAccounts.tenantId)
        .limit(query.limit)
        .offset(query.offset),
      db.select({ n: count() }).from(billingAccounts).where(where),
    ]);
    const items: AdminSubscription[] = rows.map(({ account, tenantName, planCode, price }) => ({
      tenantId: account.tenantId,
      tenantName,
      planCode,
      provider: account.provider,
      status: account.status,
      access: account.access,
      quantity: account.quantity,
      monthlyAmount: price && PAYING.includes(account.status) ? monthlyAmount(price, account.quantity) : 0,
      currency: price?.currency ?? config.billing.currency,
      statusSince: account.statusSince.toISOString(),
      currentPeriodEnd: iso(account.currentPeriodEnd),
      customerId: account.customerId,
    }));
    return { items, total: total?.n ?? 0 };
  }

  async invoices(query: { status?: (typeof INVOICE_STATUSES)[number] | undefined; failed: boolean; limit: number; offset: number }) {
    const { db } = this.deps;
    const filters: SQL[] = [];
    if (query.status) filters.push(eq(invoices.status, query.status));
    // A failed attempt counts until the invoice is paid (a later success clears paymentFailedAt, or marks it paid).
    if (query.failed) filters.push(isNotNull(invoices.paymentFailedAt), ne(invoices.status, 'paid'));
    const where = filters.length > 0 ? and(...filters) : undefined;
    const [rows, [total]] = await Promise.all([
      db
        .select({ invoice: invoices, tenantName: tenants.name })
        .from(invoices)
        .innerJoin(tenants, eq(tenants.id, invoices.tenantId))
        .where(where)
        .orderBy(desc(invoices.createdAt), invoices.id)
        .limit(query.limit)
        .offset(query.offset),
      db.select({ n: count() }).from(invoices).where(where),
    ]);
    const items: AdminInvoice[] = rows.map(({ invoice: i, tenantName }) => ({
      id: i.id,
      tenantId: i.tenantId,
      tenantName,
      number: i.number,
      status: i.status,
      currency: i.currency,
      amountDue: i.amountDue,
      amountPaid: i.amountPaid,
      hostedUrl: i.hostedUrl,
      pdfUrl: i.pdfUrl,
      periodStart: iso(i.periodStart),
      periodEnd: iso(i.periodEnd),
      paymentFailedAt: iso(i.paymentFailedAt),
      paidAt: iso(i.paidAt),
      note: i.note,
      createdAt: i.createdAt.toISOString(),
    }));
    return { items, total: total?.n ?? 0 };
  }

  /**
   * MRR, ARR, paying subscriptions and churn for each UTC day of the window ending on `until`'s day,
   * from `subscription_changes`. A tenant counts with its last change at or before the end of each day.
   * One query: each tenant's end-of-day states become deltas, summed as a running total over the days,
   * so the cost grows with the number of changes, not with tenants × days.
   */
  async revenue(days: number, until = new Date()) {
    const currency = this.deps.config.billing.currency;
    const lastDay = utcDay(until);
    const firstDay = utcDay(new Date(until.getTime() - (days - 1) * DAY_MS));
    // The churn rate looks CHURN_WINDOW_DAYS back from the first day, so the series starts that much earlier.
    const seriesStart = utcDay(new Date(until.getTime() - (days - 1 + CHURN_WINDOW_DAYS) * DAY_MS));
    const paying = sql`(c.monthly_amount > 0 or c.status in (${sql.join(
      PAYING.map((s) => sql`${s}`),
      sql`, `,
    )}))`;
    const ended = sql.join(
      ENDED.map((s) => sql`${s}`),
      sql`, `,
    );
    const result = await this.deps.db.execute<{
      day: string;
      mrr: string;
      subscriptions: number;
      churned: number;
      churn_rate: number;
    }>(sql`
      with changes as (
        select c.tenant_id, c.id, c.at, c.status,
               (c.at at time zone 'UTC')::date as day,
               case when c.currency = ${currency} then c.monthly_amount else 0 end as amount,
               ${paying} as paying
        from subscription_changes c
        where c.at < (${lastDay}::date + 1)::timestamp at time zone 'UTC'
      ),
      churn as (
        select day, count(distinct tenant_id)::int as churned
        from (select day, tenant_id, status, lag(paying) over (partition by tenant_id order by at, id) as was_paying from changes) x
        where was_paying and status in (${ended})
        group by day
      ),
      eod as (
        select distinct on (tenant_id, day) tenant_id, day, amount, paying
        from changes order by tenant_id, day, at desc, id desc
      ),
      deltas as (
        select day,
               sum(amount - coalesce(prev_amount, 0))::bigint as d_mrr,
               sum(paying::int - coalesce(prev_paying::int, 0))::bigint as d_subs
        from (
          select day, amount, paying,
                 lag(amount) over (partition by tenant_id order by day) as prev_amount,
                 lag(paying) over (partition by tenant_id order by day) as prev_paying
          from eod
        ) x
        group by day
      ),
      base as (
        select coalesce(sum(d_mrr), 0)::bigint as mrr, coalesce(sum(d_subs), 0)::bigint as subs
        from deltas where day < ${seriesStart}::date
      ),
      series as (
        select d.day,
               base.mrr + sum(coalesce(dl.d_mrr, 0)) over w as mrr,
               base.subs + sum(coalesce(dl.d_subs, 0)) over w as subs,
               coalesce(ch.churned, 0) as churned
        from generate_series(${seriesStart}::date, ${lastDay}::date, interval '1 day') as g(ts)
        cross join lateral (select g.ts::date as day) d
        cross join base
        left join deltas dl on dl.day = d.day
        left join churn ch on ch.day = d.day
        window w as (order by d.day)
      ),
      rated as (
        select day, mrr, subs, churned,
               sum(churned) over (order by day rows between ${CHURN_WINDOW_DAYS - 1} preceding and current row) as churned_window,
               lag(subs, ${CHURN_WINDOW_DAYS}) over (order by day) as subs_before
        from series
      )
      select to_char(day, 'YYYY-MM-DD') as day, mrr::text as mrr, subs::int as subscriptions, churned::int as churned,
             case when coalesce(subs_before, 0) > 0 then least(1.0, churned_window::float8 / subs_before) else 0 end::float8 as churn_rate
      from rated where day >= ${firstDay}::date order by day`);
    const points: RevenuePoint[] = result.rows.map((r) => {
      const mrr = Number(r.mrr);
      return { day: r.day, mrr, arr: mrr * 12, subscriptions: r.subscriptions, churned: r.churned, churnRate: r.churn_rate };
    });
    return { currency, points };
  }
}
