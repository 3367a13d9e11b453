import { type ApiBody, type ApiData, type ApiPath, isApiProblem, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isBusy } from './instance-status';

export type Instance = ApiData<'get', '/instances/{instanceId}'>;
export type InstanceStatus = Instance['status'];
export type InstanceProgress = NonNullable<Instance['progress']>;
export type InstanceHistoryEntry = ApiData<'get', '/instances/{instanceId}/history'>[number];
export type InstanceStats = ApiData<'get', '/instances/{instanceId}/stats'>;
export type OdooVersion = ApiData<'get', '/odoo-versions'>[number];
export type OdooCredentials = ApiData<'post', '/instances/{instanceId}/credentials'>;
export type SlugAvailability = ApiData<'get', '/instances/slug-availability'>;
export type CreateInstanceInput = ApiBody<'post', '/tenants/{tenantId}/instances'>;
type InstancePostPath = Extract<ApiPath<'post'>, `/instances/{instanceId}/${string}`>;
/** The lifecycle actions: each `POST /instances/{id}/<action>` that answers with the instance (start, stop, restart). */
export type InstanceAction = {
  [P in InstancePostPath]: ApiData<'post', P> extends Instance ? (P extends `/instances/{instanceId}/${infer A}` ? A : never) : never;
}[InstancePostPath];

export const instanceKeys = {
  list: (tenantId: string) => ['tenants', tenantId, 'instances'] as const,
  all: ['instances'] as const,
  one: (id: string) => ['instances', id] as const,
  history: (id: string) => ['instances', id, 'history'] as const,
  versions: ['odoo-versions'] as const,
  slug: (slug: string) => ['instances', 'slug-availability', slug] as const,
};

/** The tenant's instances; polls faster while one of them is changing so the badges stay live. */
export function useInstances(tenantId: string | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: instanceKeys.list(tenantId ?? ''),
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/instances', { params: { path: { tenantId: tenantId ?? '' } } })),
    enabled: Boolean(tenantId),
    refetchInterval: (query) => (query.state.data?.some((i) => isBusy(i)) ? 2_000 : 15_000),
  });
}

export function useInstance(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: instanceKeys.one(id),
    queryFn: () => unwrap(api.GET('/instances/{instanceId}', { params: { path: { instanceId: id } } })),
  });
}

export function useInstanceHistory(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: instanceKeys.history(id),
    queryFn: () => unwrap(api.GET('/instances/{instanceId}/history', { params: { path: { instanceId: id } } })),
  });
}

export function useOdooVersions() {
  const api = useApi();
  return useQuery({
    queryKey: instanceKeys.versions,
    queryFn: () => unwrap(api.GET('/odoo-versions')),
    staleTime: 5 * 60_000,
  });
}

/** Whether a subdomain can be used; `slug` should already be debounced. */
export function useSlugAvailability(slug: string) {
  const api = useApi();
  return useQuery({
    queryKey: instanceKeys.slug(slug),
    queryFn: ({ signal }) => unwrap(api.GET('/instances/slug-availability', { params: { query: { slug } }, signal })),
    enabled: slug.length > 0,
    staleTime: 10_000,
    retry: false,
  });
}

export function useCreateInstance(tenantId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateInstanceInput) => unwrap(api.POST('/tenants/{tenantId}/instances', { params: { path: { tenantId } }, body })),
    onSuccess: (instance) => {
      qc.setQueryData(instanceKeys.one(instance.id), instance);
      qc.invalidateQueries({ queryKey: instanceKeys.list(tenantId) });
    },
  });
}

/** Start, stop or restart (202): the instance answers with its new desired state; the status follows. */
export function useInstanceAction(instance: Pick<Instance, 'id' | 'tenantId'>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (action: InstanceAction) =>
      unwrap(api.POST(`/instances/{instanceId}/${action}`, { params: { path: { instanceId: instance.id } } })),
    onSuccess: (updated) => qc.setQueryData(instanceKeys.one(instance.id), updated),
    onSettled: () => {
      qc.invalidateQueries({ queryKey: instanceKeys.list(instance.tenantId) });
      qc.invalidateQueries({ queryKey: instanceKeys.history(instance.id) });
    },
  });
}

export function useDeleteInstance(instance: Pick<Instance, 'id' | 'tenantId'>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/instances/{instanceId}', { params: { path: { instanceId: instance.id } } })),
    onSuccess: (updated) => qc.setQueryData(instanceKeys.one(instance.id), updated),
    onSettled: () => qc.invalidateQueries({ queryKey: instanceKeys.list(instance.tenantId) }),
  });
}

export function useRevealCredentials(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/instances/{instanceId}/credentials', { params: { path: { instanceId } } })),
    // Revealed or already gone: either way the instance no longer offers them.
    onSettled: (_data, error) => {
      if (!error || (isApiProblem(error) && error.code === 'credentials_already_shown')) {
        qc.setQueryData<Instance>(instanceKeys.one(instanceId), (old) => (old ? { ...old, credentialsAvailable: false } : old));
      }
    },
  });
}

export function useResetAdminPassword(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/instances/{instanceId}/admin-password', { params: { path: { instanceId } } })),
    onSuccess: () =>
      qc.setQueryData<Instance>(instanceKeys.one(instanceId), (old) => (old ? { ...old, credentialsAvailable: false } : old)),
  });
}
