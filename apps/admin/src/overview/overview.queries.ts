import { unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useQuery } from '@tanstack/react-query';

export function useOverview() {
  const api = useApi();
  return useQuery({ queryKey: ['admin', 'overview'], queryFn: () => unwrap(api.GET('/admin/overview')) });
}
