import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireAuth } from '../http/access.js';
import { noContent, sendNoContent } from '../http/route-helpers.js';
import { instanceAccess } from '../instances/instance-access.js';
import { instanceParams } from '../instances/instances.schemas.js';
import type { InstancesService } from '../instances/instances.service.js';
import type { DomainDto } from './domain-dto.js';
import type { CustomDomainRow } from './domains.repo.js';
import { addDomainBody, customDomainSchema, domainParams } from './domains.schemas.js';
import type { DomainsService } from './domains.service.js';

export const domainsRoutes: FastifyPluginAsyncZod<{ domains: DomainsService; instances: InstancesService }> = async (
  app,
  { domains, instances },
) => {
  const ofInstance = instanceAccess(instances);
  const anyMember = ofInstance('owner', 'admin', 'member');
  const managers = ofInstance('owner', 'admin');
  const toDto = async (row: CustomDomainRow) => (await domains.describe(row.instanceId, [row]))[0] as DomainDto;

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
    async (request) => domains.describe(request.params.instanceId, await domains.list(request.params.instanceId)),
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
