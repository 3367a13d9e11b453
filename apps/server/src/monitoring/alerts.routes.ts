import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../http/access.js';
import { page, pageQuery } from '../http/route-helpers.js';
import { adminAlertSchema, alertmanagerWebhookSchema } from './alerts.schemas.js';
import type { AlertsService } from './alerts.service.js';
import { ALERT_STATUSES } from './alerts.tables.js';

/** Operators' list of alerts (admin dashboard): firing first, then newest. */
export const adminAlertsRoutes: FastifyPluginAsyncZod<{ alerts: AlertsService }> = async (app, { alerts }) => {
  app.get(
    '/admin/alerts',
    {
      schema: {
        tags: ['admin'],
        summary: 'Alerts from Alertmanager: firing first, then the most recent',
        querystring: pageQuery.extend({ status: z.enum(ALERT_STATUSES).optional() }),
        response: { 200: page(adminAlertSchema) },
      },
      config: { access: access.platform('admin', 'support') },
    },
    async (request) => alerts.list(request.query),
  );
};

/** Path of Alertmanager's webhook receiver on the internal listener. */
export const ALERT_WEBHOOK_PATH = '/alerts/alertmanager';

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Alertmanager's webhook, on the internal (loopback) listener only, and with a bearer token besides:
 * anything else on the host that can reach loopback still cannot invent alerts. No token configured
 * means no intake at all.
 */
export function registerAlertWebhook(internal: FastifyInstance, alerts: AlertsService, token: string | undefined) {
  internal.post(ALERT_WEBHOOK_PATH, async (request, reply) => {
    if (!token || !tokenMatches(request.headers.authorization, token)) {
      return reply.status(401).send({ error: 'unauthorized' });
    }
    const parsed = alertmanagerWebhookSchema.safeParse(request.body);
    if (!parsed.success) return reply.status(400).send({ error: 'invalid payload', issues: parsed.error.issues.slice(0, 5) });
    return reply.send(await alerts.receive(parsed.data));
  });
}
