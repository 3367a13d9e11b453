import { type ApiBody, type ApiData, unwrap } from '@saas/api-client';
import { meQueryKey, useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type UserSession = ApiData<'get', '/me/sessions'>[number];
export type TotpSetup = ApiData<'post', '/me/totp/setup'>;

const sessionsKey = ['me', 'sessions'] as const;

export function useUpdateProfile() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiBody<'patch', '/me'>) => unwrap(api.PATCH('/me', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: meQueryKey }),
  });
}

export function useChangePassword() {
  const api = useApi();
  return useMutation({
    mutationFn: (body: ApiBody<'post', '/me/password'>) => unwrap(api.POST('/me/password', { body })),
  });
}

export function useTotpSetup() {
  const api = useApi();
  return useMutation({ mutationFn: () => unwrap(api.POST('/me/totp/setup')) });
}

export function useTotpEnable() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (code: string) => unwrap(api.POST('/me/totp/enable', { body: { code } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: meQueryKey }),
  });
}

export function useTotpDisable() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiBody<'post', '/me/totp/disable'>) => unwrap(api.POST('/me/totp/disable', { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: meQueryKey }),
  });
}

export function useSessions() {
  const api = useApi();
  return useQuery({ queryKey: sessionsKey, queryFn: () => unwrap(api.GET('/me/sessions')) });
}

export function useRevokeSession() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) => unwrap(api.DELETE('/me/sessions/{sessionId}', { params: { path: { sessionId } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: sessionsKey }),
  });
}
