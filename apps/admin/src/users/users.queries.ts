import { type ApiBody, type ApiData, type ApiQuery, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type AdminUser = ApiData<'get', '/admin/users'>['items'][number];
export type UserPatch = ApiBody<'patch', '/admin/users/{userId}'>;
export type PlatformRole = AdminUser['platformRole'];

export function useAdminUsers(query: ApiQuery<'get', '/admin/users'>) {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'users', query],
    queryFn: () => unwrap(api.GET('/admin/users', { params: { query } })),
    placeholderData: keepPreviousData,
  });
}

export function useUpdateUser() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, patch }: { userId: string; patch: UserPatch }) =>
      unwrap(api.PATCH('/admin/users/{userId}', { params: { path: { userId } }, body: patch })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['admin', 'users'] }),
  });
}
