import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tokenBody } from '../auth/auth.schemas.js';
import { access, requireAuth } from '../http/access.js';
import { noContent, sendNoContent } from '../http/route-helpers.js';
import {
  createTenantBody,
  invitationParams,
  invitationSchema,
  inviteBody,
  memberParams,
  memberSchema,
  roleBody,
  tenantParams,
  tenantRoleSchema,
  tenantSchema,
  transferBody,
} from './tenants.schemas.js';
import type { TenantsService } from './tenants.service.js';

const iso = (d: Date) => d.toISOString();
const toInvitationDto = (i: { id: string; email: string; role: 'owner' | 'admin' | 'member'; expiresAt: Date; createdAt: Date }) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  expiresAt: iso(i.expiresAt),
  createdAt: iso(i.createdAt),
});

export const tenantsRoutes: FastifyPluginAsyncZod<{ tenants: TenantsService }> = async (app, { tenants }) => {
  const anyMember = access.tenant('owner', 'admin', 'member');
  const managers = access.tenant('owner', 'admin');

  app.get(
    '/tenants',
    {
      schema: { tags: ['tenants'], summary: 'Tenants the user belongs to', response: { 200: z.array(tenantSchema) } },
      config: { access: access.user() },
    },
    async (request) => {
      const rows = await tenants.listForUser(requireAuth(request).userId);
      return rows.map((t) => ({ ...t, createdAt: iso(t.createdAt) }));
    },
  );

  app.post(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create another tenant owned by the user',
        body: createTenantBody,
        response: { 201: tenantSchema },
      },
      config: { access: access.user(), audit: { action: 'tenant.create', targetType: 'tenant' } },
    },
    async (request, reply) => {
      const tenant = await tenants.create(requireAuth(request).userId, request.body.name);
      Object.assign(request.auditNote, { tenantId: tenant.id, targetId: tenant.id });
      return reply.status(201).send({ id: tenant.id, name: tenant.name, role: 'owner' as const, createdAt: iso(tenant.createdAt) });
    },
  );

  app.get(
    '/tenants/:tenantId',
    {
      schema: { tags: ['tenants'], summary: 'One tenant', params: tenantParams, response: { 200: tenantSchema } },
      config: { access: anyMember },
    },
    async (request) => {
      const tenant = await tenants.get(request.params.tenantId);
      return { id: tenant.id, name: tenant.name, role: request.tenantRole ?? 'member', createdAt: iso(tenant.createdAt) };
    },
  );

  app.patch(
    '/tenants/:tenantId',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Rename the tenant',
        params: tenantParams,
        body: createTenantBody,
        response: { 200: tenantSchema },
      },
      config: { access: managers, audit: { action: 'tenant.rename', targetType: 'tenant' } },
    },
    async (request) => {
      const tenant = await tenants.rename(request.params.tenantId, request.body.name);
      return { id: tenant.id, name: tenant.name, role: request.tenantRole ?? 'member', createdAt: iso(tenant.createdAt) };
    },
  );

  app.get(
    '/tenants/:tenantId/members',
    {
      schema: { tags: ['team'], summary: 'Members of the tenant', params: tenantParams, response: { 200: z.array(memberSchema) } },
      config: { access: anyMember },
    },
    async (request) => {
      const rows = await tenants.members(request.params.tenantId);
      return rows.map((m) => ({ ...m, joinedAt: iso(m.joinedAt) }));
    },
  );

  app.patch(
    '/tenants/:tenantId/members/:userId',
    {
      schema: { tags: ['team'], summary: 'Change a member’s role', params: memberParams, body: roleBody, response: { 204: noContent } },
      config: { access: managers, audit: { action: 'member.change_role', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.details = { role: request.body.role };
      await tenants.changeRole(request.params.tenantId, request.tenantRole ?? 'member', request.params.userId, request.body.role);
      return sendNoContent(reply);
    },
  );

  app.delete(
    '/tenants/:tenantId/members/:userId',
    {
      schema: {
        tags: ['team'],
        summary: 'Remove a member (or leave, when it is yourself)',
        params: memberParams,
        response: { 204: noContent },
      },
      config: { access: anyMember, audit: { action: 'member.remove', targetType: 'user' } },
    },
    async (request, reply) => {
      const actor = requireAuth(request);
      await tenants.removeMember(request.params.tenantId, actor, request.tenantRole ?? 'member', request.params.userId);
      return sendNoContent(reply);
    },
  );

  app.post(
    '/tenants/:tenantId/transfer-ownership',
    {
      schema: {
        tags: ['team'],
        summary: 'Make another member the owner; the current owner becomes an admin',
        params: tenantParams,
        body: transferBody,
        response: { 204: noContent },
      },
      config: { access: access.tenant('owner'), sensitive: true, audit: { action: 'tenant.transfer_ownership', targetType: 'user' } },
    },
    async (request, reply) => {
      request.auditNote.targetId = request.body.userId;
      await tenants.transferOwnership(request.params.tenantId, requireAuth(request).userId, request.body.userId);
      return sendNoContent(reply);
    },
  );

  app.get(
    '/tenants/:tenantId/invitations',
    {
      schema: { tags: ['team'], summary: 'Pending invitations', params: tenantParams, response: { 200: z.array(invitationSchema) } },
      config: { access: managers },
    },
    async (request) => (await tenants.invitations(request.params.tenantId)).map(toInvitationDto),
  );

  app.post(
    '/tenants/:tenantId/invitations',
    {
      schema: {
        tags: ['team'],
        summary: 'Invite someone by email',
        params: tenantParams,
        body: inviteBody,
        response: { 201: invitationSchema },
      },
      config: { access: managers, audit: { action: 'invitation.create', targetType: 'invitation' } },
    },
    async (request, reply) => {
      const invitation = await tenants.invite(
        request.params.tenantId,
        requireAuth(request),
        request.tenantRole ?? 'member',
        request.body.email,
        request.body.role,
      );
      Object.assign(request.auditNote, { targetId: invitation.id, details: { email: invitation.email, role: invitation.role } });
      return reply.status(201).send(toInvitationDto(invitation));
    },
  );

  app.delete(
    '/tenants/:tenantId/invitations/:invitationId',
    {
      schema: { tags: ['team'], summary: 'Revoke a pending invitation', params: invitationParams, response: { 204: noContent } },
      config: { access: managers, audit: { action: 'invitation.revoke', targetType: 'invitation' } },
    },
    async (request, reply) => {
      await tenants.revokeInvitation(request.params.tenantId, request.params.invitationId);
      return sendNoContent(reply);
    },
  );

  app.post(
    '/invitations/lookup',
    {
      schema: {
        tags: ['team'],
        summary: 'What an invitation link is for (tenant, address, role)',
        body: tokenBody,
        response: { 200: z.object({ tenantName: z.string(), email: z.string(), role: tenantRoleSchema, expiresAt: z.iso.datetime() }) },
      },
      config: { access: access.public(), audit: false },
    },
    async (request) => {
      const { invitation, tenantName } = await tenants.lookupInvitation(request.body.token);
      return { tenantName, email: invitation.email, role: invitation.role, expiresAt: iso(invitation.expiresAt) };
    },
  );

  app.post(
    '/invitations/accept',
    {
      schema: {
        tags: ['team'],
        summary: 'Join the tenant of an invitation',
        body: tokenBody,
        response: { 200: z.object({ tenantId: z.uuid() }) },
      },
      config: { access: access.user(), audit: { action: 'invitation.accept', targetType: 'invitation' } },
    },
    async (request) => {
      const invitation = await tenants.acceptInvitation(request.body.token, requireAuth(request));
      Object.assign(request.auditNote, { tenantId: invitation.tenantId, targetId: invitation.id });
      return { tenantId: invitation.tenantId };
    },
  );
};
