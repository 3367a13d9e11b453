import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useQuery } from '@tanstack/react-query';

export type NodesDto = ApiData<'get', '/admin/system/nodes'>;
export type NodeDto = NodesDto['nodes'][number];
export type NodeInstanceDto = NodesDto['unplaced'][number];

export function useNodes() {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'nodes'],
    queryFn: () => unwrap(api.GET('/admin/system/nodes')),
    // Capacity moves with every provisioning; a node going down should show without a reload.
    refetchInterval: 15_000,
  });
}
