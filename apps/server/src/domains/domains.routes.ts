import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { requireAuth } from '../http/access.js';
import { noContent, sendNoContent } from '../http/route-helpers.js';
import { instanceAccess } from '../instances/instance-access.js';
import { InstancesRepository } from '../instances/instances.repo.js';
import { instanceParams } from '../instances/instances.schemas.js';
import { instanceUrl } from '../instances/instances.service.js';
import type { CustomDomainRow } from './domains.repo.js';
import { addDomainBody, customDomainSchema, domainParams } from './domains.schemas.js';
import type { DomainsService } from './domains.service.js';

type DomainDto = z.infer<typeof customDomainSchema>;

/** The records a tenant can create: a CNAME to the instance's subdomain, or an A record to the platform's address. */
export function dnsRecords(config: Config, slug: string, domain: string): DomainDto['dnsRecords'] {
  const records: DomainDto['dnsRecords'] = [
    { type: 'CNAME', name: domain, value: new URL(instanceUrl(config, slug)).hostname, use: 'for a subdomain such as erp.example.com' },
  ];
  if (config.domains.publicIpv4) {
    records.push({
      type: 'A',
      name: domain,
      value: config.domains.publicIpv4,
      use: 'for an apex domain such as example.com (no CNAME possible)',
    });
  }
  return records;
}

export const domainsRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config; domains: DomainsService }> = async (
  app,
  { db, config, domains },
) => {
  const instances = new InstancesRepository(db);
  const ofInstance = instanceAccess(db);
  const anyMember = ofInstance('owner', 'admin', 'member');
  const managers = ofInstance('owner', 'admin');

  const toDtos = async (instanceId: string, rows: CustomDomainRow[]): Promise<DomainDto[]> => {
    const instance = await instances.findById(instanceId);
    const expiry = await domains.certificateExpiry(rows.map((r) => r.domain));
    const port = config.domains.verifyPort === 80 ? '' : `:${config.domains.verifyPort}`;
    return rows.map((d) => ({
      id: d.id,
      instanceId: d.instanceId,
      domain: d.domain,
      status: d.status,
      lastError: d.lastError,
      dnsRecords: dnsRecords(config, instance?.slug ?? '', d.domain),
      verification: { url: `http://${d.domain}${port}/.well-known/odoo-saas/${d.verificationToken}`, token: d.verificationToken },
      certificateExpiresAt: expiry.get(d.domain)?.toISOString() ?? null,
      lastCheckedAt: d.lastCheckedAt?.toISOString() ?? null,
      verifiedAt: d.verifiedAt?.toISOString() ?? null,
      activatedAt: d.activatedAt?.toISOString() ?? null,
      createdAt: d.createdAt.toISOString(),
      updatedAt: d.updatedAt.toISOString(),
    }));
  };
  const toDto = async (row: CustomDomainRow) => (await toDtos(row.instanceId, [row]))[0] as DomainDto;

  app.get(
    '/instances/:instanceId/domains',
    {
      schema: {
        tags: ['domains'],
        summary: 'Custom domains of the instance',
        params: instanceParams,
        response: { 200: z.array(customDomainSchema) },
      },
      config: { access: anyMember },
    },
    async (request) => toDtos(request.params.instanceId, await domains.list(request.params.instanceId)),
  );

  app.post(
    '/instances/:instanceId/domains',
    {
      schema: {
        tags: ['domains'],
        summary: 'Add a custom domain; the answer says which DNS record to create before verifying',
        params: instanceParams,
        body: addDomainBody,
        response: { 201: customDomainSchema },
      },
      config: { access: managers, audit: { action: 'domain.add', targetType: 'custom_domain' } },
    },
    async (request, reply) => {
      const row = await domains.add(request.params.instanceId, requireAuth(request), request.body);
      request.auditNote.targetId = row.id;
      request.auditNote.details = { domain: row.domain, instanceId: row.instanceId };
      return reply.status(201).send(await toDto(row));
    },
  );

  app.get(
    '/instances/:instanceId/domains/:domainId',
    {
      schema: {
        tags: ['domains'],
        summary: 'One custom domain with its status and last error',
        params: domainParams,
        response: { 200: customDomainSchema },
      },
      config: { access: anyMember },
    },
    async (request) => toDto(await domains.get(request.params.instanceId, request.params.domainId)),
  );

  app.post(
    '/instances/:instanceId/domains/:domainId/verify',
    {
      schema: {
        tags: ['domains'],
        summary: 'Check that the domain reaches this platform, then obtain its certificate and serve it (in the background)',
        params: domainParams,
        response: { 202: customDomainSchema },
      },
      config: { access: managers, audit: { action: 'domain.verify', targetType: 'custom_domain' } },
    },
    async (request, reply) => {
      const row = await domains.verify(request.params.instanceId, request.params.domainId);
      request.auditNote.details = { domain: row.domain };
      return reply.status(202).send(await toDto(row));
    },
  );

  app.delete(
    '/instances/:instanceId/domains/:domainId',
    {
      schema: {
        tags: ['domains'],
        summary: 'Remove a custom domain: it stops being routed, its certificate is deleted',
        params: domainParams,
        response: { 204: noContent },
      },
      config: { access: managers, audit: { action: 'domain.remove', targetType: 'custom_domain' } },
    },
    async (request, reply) => {
      const row = await domains.remove(request.params.instanceId, request.params.domainId);
      request.auditNote.details = { domain: row.domain };
      return sendNoContent(reply);
    },
  );
};
