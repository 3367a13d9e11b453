import { type ApiBody, type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type AdminUser = ApiData<'get', '/admin/users'>['items'][number];
export type AdminUsersQuery = ApiQuery<'get', '/admin/users'>;
export type AdminUserDetail = ApiData<'get', '/admin/users/{userId}'>;
export type AdminSession = AdminUserDetail['sessions'][number];
export type UserPatch = ApiBody<'patch', '/admin/users/{userId}'>;
export type PlatformRole = AdminUser['platformRole'];
export type ImpersonationStarted = ApiData<'post', '/admin/users/{userId}/impersonate'>;

const usersKey = ['admin', 'users'] as const;

export function useAdminUsers(query: AdminUsersQuery) {
  const api = useApi();
  return useQuery({
    queryKey: [...usersKey, 'list', query],
    queryFn: () => unwrap(api.GET('/admin/users', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useAdminUser(userId: string) {
  const api = useApi();
  return useQuery({
    queryKey: [...usersKey, 'detail', userId],
    queryFn: () => unwrap(api.GET('/admin/users/{userId}', { params: { path: { userId } } })),
  });
}

/** The user's audit trail: rows where they are the actor or the target. */
/** After any action: the lists, the detail page and the audit trail all changed. */
function useInvalidate() {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: usersKey }), qc.invalidateQueries({ queryKey: ['admin', 'audit-log'] })]);
}

export function useUpdateUser() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ userId, patch }: { userId: string; patch: UserPatch }) =>
      unwrap(api.PATCH('/admin/users/{userId}', { params: { path: { userId } }, body: patch })),
    onSettled: invalidate,
  });
}

export type UserAction = 'logout' | 'reset-two-factor' | 'password-reset';

/** Force logout, reset two-factor or send a password reset; each answers with a message to show. */
export function useUserAction(action: UserAction) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ userId, reason }: { userId: string; reason: string }) => {
      const params = { path: { userId } };
      if (action === 'logout') return unwrap(api.POST('/admin/users/{userId}/force-logout', { params, body: { reason } }));
      if (action === 'reset-two-factor') return unwrap(api.POST('/admin/users/{userId}/reset-two-factor', { params, body: { reason } }));
      return unwrap(api.POST('/admin/users/{userId}/password-reset', { params }));
    },
    onSettled: invalidate,
  });
}

export function useStartImpersonation() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ userId, reason, minutes }: { userId: string; reason: string; minutes: number }) =>
      unwrap(api.POST('/admin/users/{userId}/impersonate', { params: { path: { userId } }, body: { reason, minutes } })),
    onSettled: invalidate,
  });
}
