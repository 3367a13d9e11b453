import { z } from 'zod';

const seconds = () => z.coerce.number().int().min(0);

/** The billing part of the environment (docs/billing.md). Without STRIPE_SECRET_KEY the manual provider applies. */
export const billingEnvShape = {
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'must be a Stripe secret or restricted key (sk_live_…, sk_test_…)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/, 'must be the endpoint signing secret (whsec_…)')
    .optional(),
  // Where the Stripe SDK sends its calls; only tests and Stripe's own mock servers change it.
  STRIPE_API_URL: z.url().optional(),
  STRIPE_TAX: z.enum(['true', 'false']).default('false'),
  BILLING_CURRENCY: z
    .string()
    .regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as eur or usd')
    .default('eur'),
  // The plan a new tenant starts on.
  DEFAULT_PLAN: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/)
    .default('starter'),
  BILLING_GRACE_SECONDS: seconds().default(7 * 86_400),
  BILLING_RETENTION_SECONDS: seconds().default(30 * 86_400),
  BILLING_ENFORCE_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(60),
};

const billingEnv = z.object(billingEnvShape);
type BillingEnv = z.infer<typeof billingEnv>;

export interface BillingConfig {
  /** Null: the manual provider (admins assign plans and record payments). */
  stripe: { secretKey: string; webhookSecret: string; apiUrl: string | null; tax: boolean } | null;
  /** The currency of every price, lower-case ISO 4217. */
  currency: string;
  defaultPlan: string;
  /** How long a past_due subscription keeps full use before its instances are suspended. */
  graceSeconds: number;
  /** How long a canceled or unpaid tenant's suspended instances are kept before deletion. */
  retentionSeconds: number;
  enforceIntervalSeconds: number;
}

export function checkBillingEnv(env: BillingEnv, ctx: z.RefinementCtx) {
  if (env.STRIPE_SECRET_KEY && !env.STRIPE_WEBHOOK_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_WEBHOOK_SECRET'], message: 'is required with STRIPE_SECRET_KEY (docs/billing.md)' });
  }
}

export function billingConfig(env: BillingEnv): BillingConfig {
  const { STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: webhookSecret } = env;
  return {
    stripe:
      secretKey && webhookSecret ? { secretKey, webhookSecret, apiUrl: env.STRIPE_API_URL ?? null, tax: env.STRIPE_TAX === 'true' } : null,
    currency: env.BILLING_CURRENCY,
    defaultPlan: env.DEFAULT_PLAN,
    graceSeconds: env.BILLING_GRACE_SECONDS,
    retentionSeconds: env.BILLING_RETENTION_SECONDS,
    enforceIntervalSeconds: env.BILLING_ENFORCE_INTERVAL_SECONDS,
  };
}
