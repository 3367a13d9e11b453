import { type ApiBody, type ApiData, unwrap } from '@saas/api-client';
import { meQueryKey, useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type Member = ApiData<'get', '/tenants/{tenantId}/members'>[number];
export type Invitation = ApiData<'get', '/tenants/{tenantId}/invitations'>[number];
export type MemberRole = ApiBody<'patch', '/tenants/{tenantId}/members/{userId}'>['role'];
export type InviteInput = ApiBody<'post', '/tenants/{tenantId}/invitations'>;

const keys = {
  members: (tenantId: string) => ['tenants', tenantId, 'members'] as const,
  invitations: (tenantId: string) => ['tenants', tenantId, 'invitations'] as const,
};

export function useMembers(tenantId: string) {
  const api = useApi();
  return useQuery({
    queryKey: keys.members(tenantId),
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/members', { params: { path: { tenantId } } })),
  });
}

export function useInvitations(tenantId: string, enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: keys.invitations(tenantId),
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/invitations', { params: { path: { tenantId } } })),
    enabled,
  });
}

export function useChangeMemberRole(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: MemberRole }) =>
      unwrap(api.PATCH('/tenants/{tenantId}/members/{userId}', { params: { path: { tenantId, userId } }, body: { role } })),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.members(tenantId) }),
  });
}

export function useRemoveMember(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => unwrap(api.DELETE('/tenants/{tenantId}/members/{userId}', { params: { path: { tenantId, userId } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.members(tenantId) }),
  });
}

export function useTransferOwnership(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.POST('/tenants/{tenantId}/transfer-ownership', { params: { path: { tenantId } }, body: { userId } })),
    onSettled: () => {
      qc.invalidateQueries({ queryKey: keys.members(tenantId) });
      qc.invalidateQueries({ queryKey: meQueryKey });
    },
  });
}

export function useInvite(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: InviteInput) => unwrap(api.POST('/tenants/{tenantId}/invitations', { params: { path: { tenantId } }, body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.invitations(tenantId) }),
  });
}

export function useRevokeInvitation(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (invitationId: string) =>
      unwrap(api.DELETE('/tenants/{tenantId}/invitations/{invitationId}', { params: { path: { tenantId, invitationId } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.invitations(tenantId) }),
  });
}
