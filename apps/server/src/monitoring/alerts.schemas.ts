import { z } from 'zod';
import { ALERT_STATUSES } from './alerts.tables.js';

export const adminAlertSchema = z
  .object({
    id: z.uuid(),
    name: z.string().describe('The alert rule, e.g. WorkerDown'),
    severity: z.string().describe('critical or warning'),
    status: z.enum(ALERT_STATUSES),
    summary: z.string(),
    description: z.string(),
    labels: z.record(z.string(), z.string()),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime().nullable().describe('When it resolved; null while firing'),
  })
  .meta({ id: 'AdminAlert' });
export type AdminAlertDto = z.infer<typeof adminAlertSchema>;

/** One alert of Alertmanager's webhook payload (version 4); fields we do not use are let through. */
const webhookAlertSchema = z.looseObject({
  status: z.enum(ALERT_STATUSES),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.string().optional(),
  fingerprint: z.string().min(1).max(64),
});
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

export const alertmanagerWebhookSchema = z.looseObject({
  version: z.string().optional(),
  status: z.string().optional(),
  alerts: z.array(webhookAlertSchema).max(1000),
});
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;
