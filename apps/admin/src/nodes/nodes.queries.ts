import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type NodesDto = ApiData<'get', '/admin/system/nodes'>;
export type NodeDto = NodesDto['nodes'][number];
export type NodeInstanceDto = NodesDto['unplaced'][number];
export type InstanceMoveDto = NodesDto['moves'][number];
export type DrainResultDto = ApiData<'post', '/admin/system/nodes/{nodeId}/drain'>;

export function useNodes() {
  const api = useApi();
  return useQuery({
    queryKey: ['admin', 'nodes'],
    queryFn: () => unwrap(api.GET('/admin/system/nodes')),
    // Capacity moves with every provisioning; a node going down should show without a reload.
    refetchInterval: 15_000,
  });
}

export function useDrainNode() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ nodeId, reason }: { nodeId: string; reason: string }) =>
      unwrap(api.POST('/admin/system/nodes/{nodeId}/drain', { params: { path: { nodeId } }, body: { reason } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['admin', 'nodes'] }),
  });
}
