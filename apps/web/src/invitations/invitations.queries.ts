import { unwrap } from '@saas/api-client';
import { meQueryKey, useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export function useInvitationLookup(token: string) {
  const api = useApi();
  return useQuery({
    queryKey: ['invitation', token],
    queryFn: () => unwrap(api.POST('/invitations/lookup', { body: { token } })),
    enabled: token.length > 0,
    retry: false,
  });
}

export function useAcceptInvitation() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => unwrap(api.POST('/invitations/accept', { body: { token } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: meQueryKey }),
  });
}
