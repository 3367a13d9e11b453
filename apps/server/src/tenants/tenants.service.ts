import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { randomToken, sha256 } from '../auth/secrets.js';
import { UsersRepository } from '../auth/users.repo.js';
import { newTenantBilling } from '../billing/billing-accounts.repo.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/client.js';
import { conflict, forbidden, invalid, notFound } from '../errors/domain-error.js';
import type { MailService } from '../mail/mail.service.js';
import { mailTemplates } from '../mail/templates.js';
import { InvitationsRepository, TenantsRepository } from './tenants.repo.js';
import type { TenantRole } from './tenants.schemas.js';

const INVITATION_TTL_DAYS = 7;
type AssignableRole = 'admin' | 'member';

export class TenantsService {
  constructor(private readonly deps: { db: Db; mail: MailService; config: Config }) {}

  private get tenants() {
    return new TenantsRepository(this.deps.db);
  }

  create(userId: string, name: string) {
    return this.deps.db.transaction((tx) => new TenantsRepository(tx).create(name, userId, newTenantBilling(this.deps.config)));
  }

  listForUser(userId: string) {
    return this.tenants.listForUser(userId);
  }

  async get(tenantId: string) {
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw notFound('Tenant');
    return tenant;
  }

  async rename(tenantId: string, name: string) {
    const tenant = await this.tenants.rename(tenantId, name);
    if (!tenant) throw notFound('Tenant');
    return tenant;
  }

  members(tenantId: string) {
    return this.tenants.members(tenantId);
  }

  /** Admins manage members and admins; only the owner can act on another admin. Nobody changes the owner here. */
  private async assertCanManage(tenantId: string, actorRole: string, targetUserId: string) {
    const targetRole = await this.tenants.roleOf(tenantId, targetUserId);
    if (!targetRole) throw notFound('Member');
    if (targetRole === 'owner') throw forbidden('owner_protected', 'The owner cannot be changed or removed; transfer ownership first.');
    if (targetRole === 'admin' && actorRole !== 'owner') throw forbidden('insufficient_role', 'Only the owner can change another admin.');
    return targetRole;
  }

  async changeRole(tenantId: string, actorRole: string, userId: string, role: AssignableRole) {
    await this.assertCanManage(tenantId, actorRole, userId);
    if (role === 'admin' && actorRole !== 'owner') throw forbidden('insufficient_role', 'Only the owner can make someone an admin.');
    await this.tenants.setRole(tenantId, userId, role);
  }

  /** Owners and admins remove others (within their rank); anyone but the owner may leave. */
  async removeMember(tenantId: string, actor: AuthenticatedUser, actorRole: TenantRole, userId: string) {
    if (userId !== actor.userId && actorRole === 'member') {
      throw forbidden('insufficient_role', 'Only owners and admins can remove other members.');
    }
    if (userId !== actor.userId) await this.assertCanManage(tenantId, actorRole, userId);
    else if (actorRole === 'owner') throw forbidden('owner_protected', 'The owner cannot leave; transfer ownership first.');
    if (!(await this.tenants.removeMember(tenantId, userId))) throw notFound('Member');
  }

  async transferOwnership(tenantId: string, ownerId: string, newOwnerId: string) {
    if (newOwnerId === ownerId) throw invalid('already_owner', 'You already own this tenant.');
    await this.deps.db.transaction(async (tx) => {
      const repo = new TenantsRepository(tx);
      const role = await repo.roleOf(tenantId, newOwnerId);
      if (!role) throw notFound('Member');
      // Demote first: the one-owner index would refuse two owners even inside the transaction.
      await repo.setRole(tenantId, ownerId, 'admin');
      await repo.setRole(tenantId, newOwnerId, 'owner');
    });
  }

  invitations(tenantId: string) {
    return new InvitationsRepository(this.deps.db).listOpen(tenantId);
  }

  async invite(tenantId: string, actor: AuthenticatedUser, actorRole: string, email: string, role: AssignableRole) {
    if (role === 'admin' && actorRole !== 'owner') throw forbidden('insufficient_role', 'Only the owner can invite admins.');
    const existing = await new UsersRepository(this.deps.db).findByEmail(email);
    if (existing && (await this.tenants.roleOf(tenantId, existing.id))) {
      throw conflict('already_member', 'This person is already a member.');
    }
    const tenant = await this.get(tenantId);
    const inviter = await new UsersRepository(this.deps.db).findById(actor.userId);
    return this.deps.mail.transaction(async (tx, queueMail) => {
      const token = randomToken();
      const repo = new InvitationsRepository(tx);
      await repo.closeExpired(tenantId, email);
      const invitation = await repo.create({
        tenantId,
        email,
        role,
        tokenHash: sha256(token),
        invitedBy: actor.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000),
      });
      if (!invitation) throw conflict('invitation_pending', 'An invitation for this address is already pending.');
      const link = new URL('/accept-invitation', this.deps.config.publicUrl);
      link.searchParams.set('token', token);
      await queueMail(mailTemplates.invitation(email, tenant.name, inviter?.name ?? 'A colleague', role, link.toString()));
      return invitation;
    });
  }

  async revokeInvitation(tenantId: string, invitationId: string) {
    if (!(await new InvitationsRepository(this.deps.db).revoke(tenantId, invitationId))) throw notFound('Invitation');
  }

  async lookupInvitation(token: string) {
    const found = await new InvitationsRepository(this.deps.db).findOpenByToken(sha256(token));
    if (!found) throw invalid('invalid_token', 'This invitation is invalid, was revoked or has expired.');
    return found;
  }

  /** Joins the tenant. The invitation was sent to an address, so only the account with that address may use it. */
  async acceptInvitation(token: string, actor: AuthenticatedUser) {
    return this.deps.db.transaction(async (tx) => {
      const invitations = new InvitationsRepository(tx);
      const found = await invitations.findOpenByToken(sha256(token));
      if (!found) throw invalid('invalid_token', 'This invitation is invalid, was revoked or has expired.');
      const { invitation } = found;
      if (invitation.email.toLowerCase() !== actor.email.toLowerCase()) {
        throw forbidden('invitation_email_mismatch', `This invitation was sent to ${invitation.email}. Log in with that address.`);
      }
      if (!(await invitations.markAccepted(invitation.id))) throw invalid('invalid_token', 'This invitation was already used.');
      const added = await new TenantsRepository(tx).addMember(invitation.tenantId, actor.userId, invitation.role);
      if (!added) throw conflict('already_member', 'You are already a member of this tenant.');
      return invitation;
    });
  }
}
