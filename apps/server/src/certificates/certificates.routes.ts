import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminService } from '../admin/admin.service.js';
import { access } from '../http/access.js';
import { RENEW_BEFORE_DAYS } from './certificate-renewal.job.js';

const certificateSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['platform', 'custom_domain']),
    domains: z.array(z.string()),
    issuer: z.string(),
    serial: z.string(),
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
    daysLeft: z.number().int(),
    nearExpiry: z.boolean().describe(`Expires within ${RENEW_BEFORE_DAYS} days: renewal is due (or failing)`),
    status: z.enum(['valid', 'renewal_failed']),
    lastError: z.string().nullable().describe('The certificate authority’s error of the last failed renewal'),
    lastAttemptAt: z.iso.datetime().nullable(),
    issuedAt: z.iso.datetime(),
  })
  .meta({ id: 'Certificate' });

export const certificatesRoutes: FastifyPluginAsyncZod<{ admin: AdminService }> = async (app, { admin }) => {
  app.get(
    '/admin/certificates',
    {
      schema: {
        tags: ['admin'],
        summary: 'Certificates of the platform and of custom domains, soonest expiry first',
        response: { 200: z.array(certificateSchema) },
      },
      config: { access: access.platform('admin', 'support') },
    },
    async () => {
      const now = Date.now();
      return (await admin.certificates()).map((c) => ({
        id: c.id,
        name: c.name,
        kind: c.kind,
        domains: c.domains,
        issuer: c.issuer,
        serial: c.serial,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        daysLeft: Math.floor((c.notAfter.getTime() - now) / 86_400_000),
        nearExpiry: c.notAfter.getTime() - now < RENEW_BEFORE_DAYS * 86_400_000,
        status: c.status,
        lastError: c.lastError,
        lastAttemptAt: c.lastAttemptAt?.toISOString() ?? null,
        issuedAt: c.issuedAt.toISOString(),
      }));
    },
  );
};
